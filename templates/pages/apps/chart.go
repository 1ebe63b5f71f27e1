package apps

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ChartDay is one UTC day of an application's activity, split the way the chart stacks it.
type ChartDay struct {
	Date    time.Time // midnight UTC
	Success int64     // authorizations, tokens and refreshes
	Denied  int64     // users who said no
	Failure int64     // refused requests
}

// Total is every event of the day.
func (d ChartDay) Total() int64 { return d.Success + d.Denied + d.Failure }

// Label names the day for people, as in "3 Mar".
func (d ChartDay) Label() string { return d.Date.Format("2 Jan") }

// ISO is the day as YYYY-MM-DD.
func (d ChartDay) ISO() string { return d.Date.Format(time.DateOnly) }

// Chart is an inline SVG bar chart laid out on the server: every coordinate is computed here, so
// the page needs neither scripts nor inline styles (the CSP allows neither); colours come from
// the classes in app.css.
type Chart struct {
	ViewBox string
	Label   string // what the chart shows, for screen readers (aria-label)
	Bars    []ChartRect
	Grid    []ChartLine
	XLabels []ChartText
	Empty   string // shown across the plot when there is nothing to draw
	EmptyX  string
	EmptyY  string
}

// ChartRect is one bar segment; Title is its hover text.
type ChartRect struct {
	X, Y, Width, Height string
	Class, Title        string
}

// ChartLine is a horizontal grid line with its value written at the left.
type ChartLine struct {
	X1, X2, Y      string
	Label          string
	LabelX, LabelY string
}

// ChartText is a label under the plot.
type ChartText struct {
	X, Y, Text string
}

// Chart geometry, in viewBox units.
const (
	chartWidth   = 720
	chartHeight  = 200
	chartLeft    = 40 // room for the value labels
	chartRight   = 8
	chartTop     = 10
	chartBottom  = 24 // room for the day labels
	chartBarFill = 0.7
)

// BuildActivityChart lays out days (oldest first) as stacked bars: successes at the bottom,
// then denials, then failures. Days without events get no bar.
func BuildActivityChart(days []ChartDay) Chart {
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	bottom := float64(chartTop) + plotH

	var peak, success, denied, failure int64
	for _, d := range days {
		peak = max(peak, d.Total())
		success += d.Success
		denied += d.Denied
		failure += d.Failure
	}
	step := niceStep(peak)
	top := step * ((peak + step - 1) / step)
	if top == 0 {
		top = step
	}

	c := Chart{ViewBox: fmt.Sprintf("0 0 %d %d", chartWidth, chartHeight)}
	c.Label = fmt.Sprintf("Requests per day over the last %d days: %d successful, %d denied, %d failed.", len(days), success, denied, failure)
	if len(days) > 0 {
		c.Label = fmt.Sprintf("Requests per day from %s to %s: %d successful, %d denied, %d failed.",
			days[0].Date.Format("2 Jan 2006"), days[len(days)-1].Date.Format("2 Jan 2006"), success, denied, failure)
	}
	for v := int64(0); v <= top; v += step {
		// A 1px line drawn on a half pixel stays 1px wide instead of blurring over two.
		y := math.Round(bottom-float64(v)/float64(top)*plotH) + 0.5
		c.Grid = append(c.Grid, ChartLine{X1: num(chartLeft), X2: num(chartWidth - chartRight), Y: num(y),
			Label: strconv.FormatInt(v, 10), LabelX: num(chartLeft - 6), LabelY: num(y + 4)})
	}
	if len(days) == 0 {
		return c
	}
	if peak == 0 {
		c.Empty, c.EmptyX, c.EmptyY = "No requests in this period", num(chartLeft+plotW/2), num(float64(chartTop)+plotH/2)
	}

	slot := plotW / float64(len(days))
	barW := slot * chartBarFill
	for i, d := range days {
		x := chartLeft + float64(i)*slot + (slot-barW)/2
		y := bottom
		for _, seg := range []struct {
			n           int64
			class, word string
		}{
			{d.Success, "bar bar-success", "successful"},
			{d.Denied, "bar bar-denied", "denied"},
			{d.Failure, "bar bar-failure", "failed"},
		} {
			if seg.n == 0 {
				continue
			}
			h := float64(seg.n) / float64(top) * plotH
			y -= h
			c.Bars = append(c.Bars, ChartRect{X: num(x), Y: num(y), Width: num(barW), Height: num(h), Class: seg.class,
				Title: fmt.Sprintf("%s: %d %s", d.Date.Format("2 Jan 2006"), seg.n, seg.word)})
		}
		// A label every week, counted back from the last day, so today is always named.
		if (len(days)-1-i)%7 == 0 {
			c.XLabels = append(c.XLabels, ChartText{X: num(x + barW/2), Y: num(chartHeight - 6), Text: d.Label()})
		}
	}
	return c
}

// niceStep is a grid step of 1, 2 or 5 times a power of ten giving at most four steps up to peak.
func niceStep(peak int64) int64 {
	for mag := int64(1); ; mag *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if s := m * mag; s*4 >= peak {
				return s
			}
		}
	}
}

// num writes a coordinate with at most two decimals.
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
