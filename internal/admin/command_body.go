package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// decodeBody reads a command's small JSON body into v; an empty body leaves v as it
// was. A body that is not that (unknown fields included) is answered 400 saying what is
// wanted, and decodeBody returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, want string) bool {
	if err := readJSON(io.LimitReader(r.Body, 4096), v); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, codeBadRequest, "want "+want)
		return false
	}
	return true
}

// checkBy bounds a command's "by" (who asks, for the event log) and, when it is empty,
// names the operator by address. Too long is answered 400, and checkBy returns false.
func checkBy(w http.ResponseWriter, r *http.Request, by *string) bool {
	if len(*by) > maxByLength {
		writeError(w, http.StatusBadRequest, codeBadRequest, fmt.Sprintf("by: at most %d characters", maxByLength))
		return false
	}
	if *by == "" {
		*by = "an operator (" + r.RemoteAddr + ")"
	}
	return true
}

// readJSON decodes one JSON value from r into v, refusing unknown fields and anything
// after the value; an empty body is io.EOF.
func readJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errors.New("data after the JSON object, want exactly one object")
	}
	return nil
}
