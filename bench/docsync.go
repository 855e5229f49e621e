//go:build linux

package main

import (
	"fmt"
	"os"
	"strings"
)

// Markers around the generated part of docs/performance.md.
const (
	docsStart = "<!-- bench:results:start -->"
	docsEnd   = "<!-- bench:results:end -->"
)

// spliceResults replaces the text between the markers in doc with body,
// keeping the markers; ok is false when doc has no well-formed pair.
func spliceResults(doc, body string) (string, bool) {
	i := strings.Index(doc, docsStart)
	j := strings.Index(doc, docsEnd)
	if i < 0 || j < i {
		return doc, false
	}
	head := doc[:i+len(docsStart)]
	return head + "\n" + strings.TrimSpace(body) + "\n" + doc[j:], true
}

// updateDoc writes body between the markers of the document at path; a
// document without markers is left alone.
func updateDoc(path, body string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	out, ok := spliceResults(string(data), body)
	if !ok {
		return fmt.Errorf("%s has no %s ... %s markers; left unchanged", path, docsStart, docsEnd)
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
