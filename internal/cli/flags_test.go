package cli

import (
	"reflect"
	"testing"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		want flags
		err  string
	}{
		{args: []string{"-t", "-c", "a.conf"}, want: flags{test: true, confFile: "a.conf"}},
		{args: []string{"-tq", "-ca.conf"}, want: flags{test: true, quiet: true, confFile: "a.conf"}},
		{args: []string{"-T"}, want: flags{test: true, dump: true}},
		{args: []string{"-p", "/srv", "-g", "daemon off;", "-e", "stderr"}, want: flags{prefix: "/srv", globals: "daemon off;", errorLog: "stderr"}},
		{args: []string{"-s", "reload"}, want: flags{signal: "reload"}},
		{args: []string{"-sreopen"}, want: flags{signal: "reopen"}},
		{args: []string{"-V"}, want: flags{version: true, configure: true}},
		{args: []string{"-h"}, want: flags{version: true, help: true}},
		{args: []string{"demo", "-x"}, want: flags{command: "demo", commandArg: []string{"-x"}}},
		{args: []string{"-s", "restart"}, err: `invalid option: "-s restart"`},
		{args: []string{"-c"}, err: `option "-c" requires file name`},
		{args: []string{"-x"}, err: `invalid option: "x"`},
		{args: []string{"file.conf"}, err: `invalid option: "file.conf"`},
	}
	for _, tt := range tests {
		got, err := parseFlags(tt.args)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("parseFlags(%q) error = %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseFlags(%q): %v", tt.args, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("parseFlags(%q) = %+v, want %+v", tt.args, *got, tt.want)
		}
	}
}
