package portalweb

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// The request page follows its request by Server-Sent Events: the portal
// watches the PortalRequest and pushes each change, so the page moves as
// soon as the tracker records a phase. The script falls back to reloading
// the page every 5 s when EventSource is missing or the stream keeps
// failing; without the script the page is static.
const (
	// streamLimit ends a stream so a long-open page re-checks its session
	// when the browser reconnects.
	streamLimit = 10 * time.Minute
	// keepAlive is a comment line that keeps idle proxies from closing
	// the stream.
	keepAlive = 25 * time.Second
	// retryMillis is the browser's delay before it reconnects.
	retryMillis = 5000
)

// requestEvents streams one request as "request" events, each the JSON of
// the API's request view, until it is Ready or Failed.
func (h *handler) requestEvents(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, cancel := context.WithTimeout(r.Context(), streamLimit)
	defer cancel()
	updates, err := h.cfg.Service.Follow(ctx, s.Groups, r.PathValue("name"), 0)
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // no proxy buffering (nginx)
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: %d\n\n", retryMillis)
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case pr, open := <-updates:
			if !open {
				return
			}
			data, _ := json.Marshal(viewOf(&pr)) // a view of strings, numbers and raw JSON always marshals
			fmt.Fprintf(w, "event: request\nid: %s\ndata: %s\n\n", pr.ResourceVersion, data)
		case <-tick.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case <-ctx.Done():
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}
