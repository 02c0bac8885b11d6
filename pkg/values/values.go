// Package values edits Helm values files byte-exactly: it changes the bytes
// of one scalar and nothing else. It does no I/O.
package values

import "errors"

var errNotImplemented = errors.New("not implemented yet")

// Get returns the string value of the scalar at path in src.
func Get(src []byte, path string) (string, error) { return "", errNotImplemented }

// Set returns a copy of src in which the scalar at path reads as value, with
// every other byte unchanged.
func Set(src []byte, path, value string) ([]byte, error) { return nil, errNotImplemented }
