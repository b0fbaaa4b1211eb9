package main

import (
	"flag"
	"io"
	"slices"
	"testing"
)

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		pos  []string
		cfg  string
	}{
		{[]string{"work", "--config", "x"}, []string{"work"}, "x"},
		{[]string{"--config", "x", "work"}, []string{"work"}, "x"},
		{[]string{"search", "--config=y", `{"a":1}`}, []string{"search", `{"a":1}`}, "y"},
		{[]string{"a", "--", "--config", "z"}, []string{"a", "--config", "z"}, ""},
		{nil, nil, ""},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		cfg := fs.String("config", "", "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil || !slices.Equal(pos, tc.pos) || *cfg != tc.cfg {
			t.Errorf("%q: pos %q cfg %q err %v; want %q %q", tc.args, pos, *cfg, err, tc.pos, tc.cfg)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseInterspersed(fs, []string{"a", "--nope"}); err == nil {
		t.Error("an unknown flag after a positional argument must still be an error")
	}
}
