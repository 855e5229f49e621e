package metrics

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"net/http"
)

// statusPage is the live status page served at /: one self-contained
// file (its style and script inline, no other requests but /status), so
// that it works on a host without internet access and through an SSH
// tunnel to a loopback status_listen.
//
//go:embed page.html
var statusPage []byte

// pagePolicy is the Content-Security-Policy of the page. It allows exactly
// the page's own inline style and script, by hash, and requests to this
// origin: should a configured name ever reach the page as markup, no
// script could run from it and nothing could be sent elsewhere.
func pagePolicy(page []byte) string {
	return "default-src 'none'; connect-src 'self'; img-src 'self'; " +
		"style-src " + inlineHash(page, "<style>", "</style>") + "; " +
		"script-src " + inlineHash(page, "<script>", "</script>") + "; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// inlineHash returns the CSP source for the content between open and
// close, 'none' when the page has no such element.
func inlineHash(page []byte, open, close string) string {
	_, rest, ok := bytes.Cut(page, []byte(open))
	if !ok {
		return "'none'"
	}
	body, _, ok := bytes.Cut(rest, []byte(close))
	if !ok {
		return "'none'"
	}
	sum := sha256.Sum256(body)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

func (s *Service) servePage(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", s.policy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.Write(statusPage)
}
