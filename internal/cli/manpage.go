package cli

import (
	"io"
	"strings"
	"text/template"
	"unicode"
)

// WriteManPage writes strait(8) in roff. Its OPTIONS and COMMANDS come
// from the table that prints -h; the committed packaging/strait.8 is
// checked against it by TestManPageIsCurrent, and the Debian package is
// built from a fresh rendering (go run ./internal/cli/mangen).
func WriteManPage(w io.Writer) error {
	return manTemplate.Execute(w, map[string]any{
		"Version":  Version,
		"Conf":     DefaultConfFile,
		"Options":  options,
		"Commands": commands,
	})
}

var manTemplate = template.Must(template.New("strait.8").Funcs(template.FuncMap{
	"tag":  manTag,
	"text": manText,
	"line": func(e entry) string { return manText(sentence(strings.ReplaceAll(e.help, "\n", " "))) },
	"more": func(e entry) string { return manText(e.man) },
}).Parse(manSource))

// manTag renders an option or command name with its argument: "-?,-h"
// becomes \fB\-?\fR, \fB\-h\fR.
func manTag(e entry) string {
	var names []string
	for _, n := range strings.Split(e.name, ",") {
		names = append(names, `\fB`+manText(n)+`\fR`)
	}
	s := strings.Join(names, ", ")
	if e.arg != "" {
		s += ` \fI` + manText(e.arg) + `\fR`
	}
	return s
}

// manText escapes prose for roff: a backslash is \e, a minus sign (an
// option's dash) is \-, while a hyphen inside a word stays a hyphen; a
// line starting with a dot or quote would be read as a request.
func manText(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		switch {
		case c == '\\':
			b.WriteString(`\e`)
		case c == '-' && !(i > 0 && i+1 < len(r) && isWord(r[i-1]) && isWord(r[i+1])):
			b.WriteString(`\-`)
		default:
			b.WriteRune(c)
		}
	}
	out := b.String()
	if strings.HasPrefix(out, ".") || strings.HasPrefix(out, "'") {
		out = `\&` + out
	}
	return out
}

func isWord(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }

// sentence turns -h's terse phrase into a sentence for the man page.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r) + "."
}
