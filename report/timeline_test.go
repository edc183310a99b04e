package report

import (
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestPackSlots(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	iv := func(start, dur int) timelineSpan { // seconds
		return timelineSpan{Start: base.Add(time.Duration(start) * time.Second), Dur: time.Duration(dur) * time.Second}
	}
	tests := []struct {
		name      string
		spans     []timelineSpan
		wantSlots []int
		wantN     int
	}{
		{name: "none", wantSlots: []int{}, wantN: 0},
		{name: "one after another", spans: []timelineSpan{iv(0, 10), iv(10, 5), iv(20, 1)}, wantSlots: []int{0, 0, 0}, wantN: 1},
		{name: "overlapping", spans: []timelineSpan{iv(0, 10), iv(5, 10)}, wantSlots: []int{0, 1}, wantN: 2},
		{name: "three jobs", spans: []timelineSpan{iv(0, 100), iv(0, 10), iv(0, 20), iv(10, 50), iv(20, 5), iv(25, 100)},
			wantSlots: []int{0, 1, 2, 1, 2, 2}, wantN: 3},
		{name: "lowest free slot first", spans: []timelineSpan{iv(0, 10), iv(1, 10), iv(2, 10), iv(11, 1), iv(12, 1)},
			wantSlots: []int{0, 1, 2, 0, 0}, wantN: 3},
		{name: "input not sorted", spans: []timelineSpan{iv(30, 5), iv(0, 40), iv(10, 5)}, wantSlots: []int{1, 0, 1}, wantN: 2},
		{name: "rounding overlap within slack", spans: []timelineSpan{
			{Start: base, Dur: 10*time.Second + 3*time.Millisecond}, iv(10, 1)}, wantSlots: []int{0, 0}, wantN: 1},
		{name: "real overlap beyond slack", spans: []timelineSpan{
			{Start: base, Dur: 10*time.Second + 50*time.Millisecond}, iv(10, 1)}, wantSlots: []int{0, 1}, wantN: 2},
		{name: "zero durations", spans: []timelineSpan{iv(5, 0), iv(5, 0), iv(5, 1)}, wantSlots: []int{0, 0, 0}, wantN: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			slots, n := packSlots(tc.spans)
			assert.DeepEqual(t, slots, tc.wantSlots)
			assert.Equal(t, n, tc.wantN)
		})
	}
}

func TestTimelineFormatting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{0, "0"}, {30 * time.Second, "30s"}, {2 * time.Minute, "2m"}, {150 * time.Second, "2m30s"}, {time.Hour, "1h"}, {75 * time.Minute, "1h15m"}} {
		assert.Check(t, is.Equal(timelineLabel(tc.d), tc.want), "%s", tc.d)
	}
	for _, tc := range []struct {
		total, want time.Duration
	}{{time.Second, time.Second}, {10 * time.Second, time.Second}, {11 * time.Second, 2 * time.Second}, {17 * time.Minute, 2 * time.Minute}, {2 * time.Hour, 15 * time.Minute}, {100 * time.Hour, 12 * time.Hour}} {
		assert.Check(t, is.Equal(timelineStep(tc.total), tc.want), "%s", tc.total)
	}
}
