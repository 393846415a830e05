package llmgateway

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
)

// relaySSE copies a server-sent event stream event by event, flushing after
// each so tokens reach the client as they are produced. onEvent sees each
// event's data (lines joined) and its name; returning false drops it.
// It returns when the upstream ends or a write to the client fails.
func relaySSE(w http.ResponseWriter, body io.Reader, onEvent func(name string, data []byte) bool) error {
	fl, _ := w.(http.Flusher)
	br := bufio.NewReaderSize(body, 16<<10)
	var event bytes.Buffer
	var name string
	var data []byte
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A long line: gather it whole.
			rest, err2 := br.ReadBytes('\n')
			line = append(append([]byte(nil), line...), rest...)
			err = err2
		}
		if len(line) > 0 {
			trimmed := bytes.TrimRight(line, "\r\n")
			if len(trimmed) == 0 {
				if event.Len() > 0 && onEvent(name, data) {
					event.WriteByte('\n')
					if _, werr := w.Write(event.Bytes()); werr != nil {
						return werr
					}
					if fl != nil {
						fl.Flush()
					}
				}
				event.Reset()
				name, data = "", data[:0]
			} else {
				event.Write(trimmed)
				event.WriteByte('\n')
				switch {
				case bytes.HasPrefix(trimmed, []byte("data:")):
					if len(data) > 0 {
						data = append(data, '\n')
					}
					data = append(data, bytes.TrimPrefix(trimmed[5:], []byte(" "))...)
				case bytes.HasPrefix(trimmed, []byte("event:")):
					name = string(bytes.TrimSpace(trimmed[6:]))
				}
			}
		}
		if err != nil {
			if event.Len() > 0 && onEvent(name, data) {
				event.WriteByte('\n')
				_, _ = w.Write(event.Bytes())
				if fl != nil {
					fl.Flush()
				}
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}

// writeEvent sends one named event and flushes.
func writeEvent(w http.ResponseWriter, name string, data []byte) error {
	var b bytes.Buffer
	b.Grow(len(name) + len(data) + 16)
	b.WriteString("event: ")
	b.WriteString(name)
	b.WriteString("\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return err
	}
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	return nil
}
