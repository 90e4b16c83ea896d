package camsim

import (
	"errors"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
)

func TestPlaybackHonoursStart(t *testing.T) {
	s := startServer(t, Config{Paths: []string{"main"}})
	start := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	tests := []struct {
		name   string
		query  string
		ra     *headers.Range
		onvif  bool
		want   base.StatusCode
		source string
	}{
		{"onvif range", "", &headers.Range{Value: &headers.RangeUTC{Start: start}}, true, base.StatusOK, "range"},
		{"template query", "?starttime=20261204T140210Z&endtime=20261204T140510Z", nil, false, base.StatusOK, "query"},
		{"no start", "", nil, false, base.StatusBadRequest, ""},
		{"bad query", "?starttime=yesterday", nil, false, base.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.PlaybackRequests())
			u, err := base.ParseURL(s.URL("playback") + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			tcp := gortsplib.ProtocolTCP
			c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp, ReadTimeout: 5 * time.Second}
			if tt.onvif {
				c.OnRequest = func(req *base.Request) { req.Header["Require"] = base.HeaderValue{"onvif-replay"} }
			}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			desc, _, err := c.Describe(u)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
				t.Fatal(err)
			}
			res, err := c.Play(tt.ra)
			if tt.want != base.StatusOK {
				var bad liberrors.ErrClientBadStatusCode
				if !errors.As(err, &bad) || bad.Code != tt.want {
					t.Fatalf("PLAY: got %v; want status %d", err, tt.want)
				}
				if n := len(s.PlaybackRequests()); n != before {
					t.Fatalf("%d requests logged, want %d", n, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var echoed headers.Range
			if err := echoed.Unmarshal(res.Header["Range"]); err != nil {
				t.Fatalf("PLAY answer Range: %v", err)
			}
			if utc, ok := echoed.Value.(*headers.RangeUTC); !ok || !utc.Start.Equal(start) {
				t.Fatalf("PLAY answer Range %v, want clock=%s-", res.Header["Range"], start)
			}
			reqs := s.PlaybackRequests()
			if len(reqs) != before+1 {
				t.Fatalf("%d requests logged, want %d", len(reqs), before+1)
			}
			got := reqs[len(reqs)-1]
			if !got.Start.Equal(start) || got.ONVIF != tt.onvif || got.Source != tt.source {
				t.Fatalf("logged %+v", got)
			}
		})
	}
}
