package apps

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Issue 9 item 6: the activity chart's geometry (chart.go) has tests of its own, beside the page
// tests that only look for the chart: unit tests of the layout rules, and golden files of the
// SVG it renders. After an intended change to the chart, rewrite the golden files with
//
//	go test ./templates/pages/apps -run TestActivityChartGolden -update
//
// and review the diff of testdata/*.svg.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var chartStart = time.Date(2026, time.March, 1, 0, 0, 0, 0, time.UTC)

// chartDays is n days from chartStart, the counts of day i given by f.
func chartDays(n int, f func(i int) (success, denied, failure int64)) []ChartDay {
	days := make([]ChartDay, n)
	for i := range days {
		s, d, fl := f(i)
		days[i] = ChartDay{Date: chartStart.AddDate(0, 0, i), Success: s, Denied: d, Failure: fl}
	}
	return days
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("coordinate %q: %v", s, err)
	}
	return v
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct{ peak, want int64 }{
		{0, 1}, {1, 1}, {4, 1}, {5, 2}, {8, 2}, {9, 5}, {20, 5}, {21, 10},
		{40, 10}, {41, 20}, {80, 20}, {81, 50}, {200, 50}, {201, 100}, {1000, 500}, {1_000_001, 500_000},
	} {
		if got := niceStep(tc.peak); got != tc.want {
			t.Errorf("niceStep(%d) = %d, want %d", tc.peak, got, tc.want)
		}
		// At most four steps reach the peak: the grid never has more than five lines.
		if s := niceStep(tc.peak); s*4 < tc.peak {
			t.Errorf("niceStep(%d) = %d needs more than four steps", tc.peak, s)
		}
	}
}

func TestNum(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {10, "10"}, {100, "100"}, {1.5, "1.5"}, {100.1, "100.1"},
		{1.234, "1.23"}, {1.236, "1.24"}, {176.5, "176.5"}, {-0.5, "-0.5"},
	} {
		if got := num(tc.v); got != tc.want {
			t.Errorf("num(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// The plot's box in viewBox units: the geometry constants the tests below hold the layout to.
const (
	plotBottom = chartHeight - chartBottom
	plotRight  = chartWidth - chartRight
)

func TestActivityChartGeometry(t *testing.T) {
	t.Run("no days: a bare grid and no bars", func(t *testing.T) {
		c := BuildActivityChart(nil)
		if c.ViewBox != "0 0 720 200" || len(c.Bars) != 0 || len(c.XLabels) != 0 || c.Empty != "" {
			t.Fatalf("chart %+v", c)
		}
		if len(c.Grid) != 2 || c.Grid[0].Label != "0" || c.Grid[1].Label != "1" {
			t.Fatalf("grid %+v, want lines for 0 and 1", c.Grid)
		}
	})

	t.Run("days without events: the empty message in the middle of the plot", func(t *testing.T) {
		c := BuildActivityChart(chartDays(30, func(int) (int64, int64, int64) { return 0, 0, 0 }))
		if len(c.Bars) != 0 || c.Empty != "No requests in this period" {
			t.Fatalf("bars %d, empty %q", len(c.Bars), c.Empty)
		}
		if x, y := mustFloat(t, c.EmptyX), mustFloat(t, c.EmptyY); x != (chartLeft+plotRight)/2 || y != (chartTop+plotBottom)/2 {
			t.Errorf("empty message at (%v, %v), want the plot's centre", x, y)
		}
	})

	days := chartDays(30, func(i int) (int64, int64, int64) { return int64(i % 9), int64(i % 3), int64(i % 4) })
	c := BuildActivityChart(days)
	var peak int64
	for _, d := range days {
		peak = max(peak, d.Total())
	}

	t.Run("grid: evenly stepped from 0 to the first step at or above the peak, on half pixels", func(t *testing.T) {
		step := niceStep(peak)
		if len(c.Grid) < 2 || len(c.Grid) > 5 {
			t.Fatalf("%d grid lines, want 2 to 5", len(c.Grid))
		}
		for i, g := range c.Grid {
			if g.Label != strconv.FormatInt(int64(i)*step, 10) {
				t.Errorf("grid line %d is labelled %s, want %d", i, g.Label, int64(i)*step)
			}
			y := mustFloat(t, g.Y)
			if y-float64(int(y)) != 0.5 {
				t.Errorf("grid line %d at y=%v, not on a half pixel", i, y)
			}
			if g.X1 != num(chartLeft) || g.X2 != num(plotRight) {
				t.Errorf("grid line %d spans %s..%s", i, g.X1, g.X2)
			}
		}
		if top := int64(len(c.Grid)-1) * step; top < peak || top-step >= peak {
			t.Errorf("grid tops out at %d for a peak of %d", top, peak)
		}
		if y := mustFloat(t, c.Grid[0].Y); y != plotBottom+0.5 {
			t.Errorf("the 0 line is at y=%v, want %v", y, plotBottom+0.5)
		}
	})

	t.Run("bars: stacked from the bottom in the order success, denied, failure, inside the plot", func(t *testing.T) {
		byTitle := map[string][]ChartRect{}
		for _, b := range c.Bars {
			day, _, _ := strings.Cut(b.Title, ":")
			byTitle[day] = append(byTitle[day], b)
			x, y, w, h := mustFloat(t, b.X), mustFloat(t, b.Y), mustFloat(t, b.Width), mustFloat(t, b.Height)
			if x < chartLeft || x+w > plotRight || y < chartTop-0.01 || y+h > plotBottom+0.01 || h <= 0 {
				t.Errorf("bar %+v leaves the plot", b)
			}
		}
		for _, d := range days {
			segs := byTitle[d.Date.Format("2 Jan 2006")]
			var want []string
			for _, s := range []struct {
				n     int64
				class string
			}{{d.Success, "bar bar-success"}, {d.Denied, "bar bar-denied"}, {d.Failure, "bar bar-failure"}} {
				if s.n > 0 {
					want = append(want, s.class)
				}
			}
			if len(segs) != len(want) {
				t.Fatalf("%s has %d segments, want %d", d.ISO(), len(segs), len(want))
			}
			bottom := float64(plotBottom)
			for i, s := range segs {
				if s.Class != want[i] {
					t.Errorf("%s segment %d is %s, want %s", d.ISO(), i, s.Class, want[i])
				}
				y, h := mustFloat(t, s.Y), mustFloat(t, s.Height)
				if diff := y + h - bottom; diff > 0.02 || diff < -0.02 {
					t.Errorf("%s segment %d ends at %v, want %v (stacked on the one below)", d.ISO(), i, y+h, bottom)
				}
				bottom = y
			}
		}
	})

	t.Run("day labels: every seventh day counted back from the last, centred under its bar", func(t *testing.T) {
		var want []string
		for i := len(days) - 1; i >= 0; i -= 7 {
			want = append([]string{days[i].Label()}, want...)
		}
		if len(c.XLabels) != len(want) {
			t.Fatalf("labels %+v, want %v", c.XLabels, want)
		}
		for i, l := range c.XLabels {
			if l.Text != want[i] || l.Y != num(chartHeight-6) {
				t.Errorf("label %d = %+v, want %q at y=%s", i, l, want[i], num(chartHeight-6))
			}
		}
		if last := c.XLabels[len(c.XLabels)-1]; last.Text != days[len(days)-1].Label() {
			t.Errorf("the last day is not named: %+v", last)
		}
	})

	t.Run("label: the period and its sums, for screen readers", func(t *testing.T) {
		var s, d, f int64
		for _, day := range days {
			s, d, f = s+day.Success, d+day.Denied, f+day.Failure
		}
		want := "Requests per day from 1 Mar 2026 to 30 Mar 2026: " + strconv.FormatInt(s, 10) + " successful, " +
			strconv.FormatInt(d, 10) + " denied, " + strconv.FormatInt(f, 10) + " failed."
		if c.Label != want {
			t.Errorf("label %q, want %q", c.Label, want)
		}
	})
}

// TestActivityChartGolden renders the chart's SVG for a few months and compares it byte for byte
// (one element a line) with testdata/chart_<name>.svg, so a change to the geometry shows up as a reviewable diff.
func TestActivityChartGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		days []ChartDay
	}{
		{"no_days", nil},
		{"quiet_month", chartDays(30, func(int) (int64, int64, int64) { return 0, 0, 0 })},
		{"one_day", chartDays(1, func(int) (int64, int64, int64) { return 3, 1, 1 })},
		{"busy_month", chartDays(30, func(i int) (int64, int64, int64) {
			return int64(40 + (i*37)%60), int64((i * 7) % 5), int64((i * 11) % 13)
		})},
		{"spike", chartDays(30, func(i int) (int64, int64, int64) {
			if i == 17 {
				return 1200, 30, 250
			}
			return int64(i % 2), 0, int64(i % 3 / 2)
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := activityChart(BuildActivityChart(tc.days)).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			// One element a line, so a change reads as a diff of the elements it moved; templ
			// separates them by a single space, which this turns into the line break.
			got := []byte(strings.ReplaceAll(buf.String(), "> <", ">\n<") + "\n")
			path := filepath.Join("testdata", "chart_"+tc.name+".svg")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendered chart (run with -update after an intended change):\n got: %s\nwant: %s", path, got, want)
			}
		})
	}
}
