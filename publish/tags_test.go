package publish

import (
	"testing"
	"time"

	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func TestPublishTag(t *testing.T) {
	day := time.Date(2024, 1, 2, 23, 30, 0, 0, time.FixedZone("east", 3*3600))
	assert.Equal(t, PublishTag(day, "abc1234"), "2024-01-02_abc1234")
	for tag, ok := range map[string]bool{
		"2024-01-02_abc1234": true, "2024-01-02_0": true, "latest": false, "2024-01-02": false,
		"2024-01-02_": false, "2024-13-02_abc": false, "2024-01-02_ABC": false, "2024-01-02_abc_x": false,
	} {
		_, got := parseDateTag(tag)
		assert.Check(t, is.Equal(got, ok), tag)
	}
}

func TestPublishTagsToRemove(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(tagDateLayout, s); return d }
	tags := []localTag{
		{Tag: "2024-01-01_aaa", Day: day("2024-01-01"), Created: 1},
		{Tag: "2024-01-05_bbb", Day: day("2024-01-05"), Created: 5},
		{Tag: "2024-01-03_ccc", Day: day("2024-01-03"), Created: 9}, // rebuilt later, still older by date
		{Tag: "2024-01-04_ddd", Day: day("2024-01-04"), Created: 3},
		{Tag: "2024-01-04_eee", Day: day("2024-01-04"), Created: 4}, // same day, newer image
	}
	for _, tc := range []struct {
		keep   int
		pinned string
		want   []string
	}{
		{keep: 2, pinned: "2024-01-05_bbb", want: []string{"2024-01-04_ddd", "2024-01-03_ccc", "2024-01-01_aaa"}},
		{keep: 1, pinned: "2024-01-05_bbb", want: []string{"2024-01-04_eee", "2024-01-04_ddd", "2024-01-03_ccc", "2024-01-01_aaa"}},
		{keep: 1, pinned: "2024-01-03_ccc", want: []string{"2024-01-04_eee", "2024-01-04_ddd", "2024-01-01_aaa"}},
		{keep: 10, want: nil},
	} {
		assert.Check(t, is.DeepEqual(tagsToRemove(tags, tc.keep, tc.pinned), tc.want), "keep %d", tc.keep)
	}
}
