package llmgateway_test

import (
	"bytes"
	"encoding/json"
	"errors"
)

func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }

func compact(b []byte) string {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}
