package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseLinkSimFlags(t *testing.T) {
	tests := []struct {
		args    string
		wantErr string
		loss    float64
		delay   time.Duration
	}{
		{args: "--netns-a s --netns-b c --loss 5 --delay 50ms", loss: 0.05, delay: 50 * time.Millisecond},
		{args: "--netns-a s --netns-b c", loss: 0, delay: 0},
		{args: "--netns-a s", wantErr: "are required"},
		{args: "--netns-a s --netns-b s", wantErr: "must differ"},
		{args: "--netns-a s --netns-b c --loss 101", wantErr: "between 0 and 100"},
		{args: "--netns-a s --netns-b c --loss -1", wantErr: "between 0 and 100"},
		{args: "--netns-a s --netns-b c --delay -1ms", wantErr: "negative"},
		{args: "--netns-a s --netns-b c --queue 0", wantErr: "at least 1"},
		{args: "--netns-a s --netns-b c extra", wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			f, err := parseLinkSimFlags(strings.Fields(tt.args), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.cfg.Loss != tt.loss || f.cfg.Delay != tt.delay || f.netnsA != "s" || f.netnsB != "c" || f.devA != "vtun0" {
				t.Fatalf("parsed %+v", f)
			}
		})
	}
}
