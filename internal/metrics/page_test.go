package metrics

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

func TestStatusPageIsServedWithItsPolicy(t *testing.T) {
	rec := get(t, newTestService(Snapshot{}), "GET", "/")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	body := rec.Body.String()
	csp := rec.Header().Get("Content-Security-Policy")
	// The browser runs the inline script and style only if their hashes
	// are in the policy: a page edited without the policy following would
	// show nothing.
	for _, el := range []string{"script", "style"} {
		m := regexp.MustCompile("(?s)<" + el + ">(.*?)</" + el + ">").FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no <%s> in the page", el)
		}
		sum := sha256.Sum256([]byte(m[1]))
		want := el + "-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(csp, want) {
			t.Errorf("policy %q lacks %q", csp, want)
		}
	}
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("policy %q", csp)
	}
}

// The page must work without network access beyond strait: no external
// scripts, styles, fonts or images, and it reads /status relative to
// itself.
func TestStatusPageIsSelfContained(t *testing.T) {
	page := string(statusPage)
	for _, bad := range []string{"<link", "src=", "href=", "@import", "url(", "https://", "//cdn"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	// The SVG namespace is an identifier, not a request.
	if n := strings.Count(page, "http://"); n != strings.Count(page, `"http://www.w3.org/2000/svg"`) {
		t.Errorf("the page names an http:// URL besides the SVG namespace")
	}
	if !strings.Contains(page, `fetch("status"`) {
		t.Errorf("the page does not read /status relative to itself")
	}
}

func TestInlineHashWithoutElement(t *testing.T) {
	if got := inlineHash([]byte("<p>x</p>"), "<script>", "</script>"); got != "'none'" {
		t.Errorf("got %s", got)
	}
}
