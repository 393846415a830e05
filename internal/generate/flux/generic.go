package flux

import "encoding/json"

// toGeneric turns a typed API struct into generic data through its JSON
// form, so that omitempty and field names are the API's own.
func toGeneric(v any) obj {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // API types always marshal
	}
	var out obj
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return normalise(out).(obj)
}
