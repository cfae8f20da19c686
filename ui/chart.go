package ui

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/heraldhq/herald/app"
	"github.com/heraldhq/herald/ports"
)

// Chart geometry, in the SVG's own units: the viewBox scales to the width of its card.
const (
	chartW, chartH         = 480.0, 180.0
	chartLeft, chartRight  = 40.0, 8.0
	chartTop, chartBottom  = 10.0, 22.0
	chartMaxXTicks         = 6
	postChartW, postChartH = 480.0, 140.0
)

// chart is a server-drawn SVG chart: bars (one a day) or a line (a post's snapshots), with
// a handful of date ticks and 0 / mid / max on the value axis. Every number is formatted
// here, so the template never writes NaN or Inf.
type chart struct {
	ID, Title, Desc string
	Class           string // the metric's colour class, from app.css
	W, H            string
	Bars            []chartBar
	Line            string // polyline points
	Dots            []chartDot
	XTicks          []chartTick
	YTicks          []chartTick
	Left, Right     string // the plot's x range
	Top, Bottom     string // the plot's y range
	Empty           string // shown across the plot when there is nothing to draw
}

type chartBar struct{ X, Y, W, H, Label string }
type chartDot struct{ X, Y, Label string }
type chartTick struct{ X, Y, Label, Anchor string }

// num writes a coordinate with at most two decimals; a non-finite value becomes 0.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

// niceMax is the top of the value axis: the next even number below 10, else the smallest
// of 1, 2, 4, 5 × 10ⁿ at or above v, so the middle tick is always a whole number.
func niceMax(v int64) float64 {
	if v <= 2 {
		return 2
	}
	if v < 10 {
		return float64(v + v%2)
	}
	f := float64(v)
	mag := math.Pow(10, math.Floor(math.Log10(f)))
	for _, s := range []float64{1, 2, 4, 5, 10} {
		if s*mag >= f {
			return s * mag
		}
	}
	return 10 * mag
}

// compact writes a count short for an axis: 950, 1.2k, 3M.
func compact(f float64) string {
	switch {
	case f >= 1e6:
		return strconv.FormatFloat(math.Round(f/1e5)/10, 'f', -1, 64) + "M"
	case f >= 1e3:
		return strconv.FormatFloat(math.Round(f/1e2)/10, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(math.Round(f), 'f', -1, 64)
}

func yTicks(max float64, top, bottom, left float64) []chartTick {
	var out []chartTick
	for _, v := range []float64{0, max / 2, max} {
		y := bottom - v/max*(bottom-top)
		out = append(out, chartTick{X: num(left - 4), Y: num(y), Label: compact(v), Anchor: "end"})
	}
	return out
}

// anchor keeps a label inside the chart near either edge.
func anchor(x, left, right float64) string {
	switch {
	case x-left < 20:
		return "start"
	case right-x < 20:
		return "end"
	}
	return "middle"
}

// dayTickIndexes picks at most chartMaxXTicks days to label: every day for a week, evenly
// spaced days up to three months, the first days of months beyond that.
func dayTickIndexes(dates []time.Time) ([]int, string) {
	n := len(dates)
	if n == 0 {
		return nil, ""
	}
	if n > 92 {
		var firsts []int
		for i, d := range dates {
			if d.Day() == 1 {
				firsts = append(firsts, i)
			}
		}
		step := (len(firsts) + chartMaxXTicks - 1) / chartMaxXTicks
		var out []int
		for i := 0; i < len(firsts); i += max(step, 1) {
			out = append(out, firsts[i])
		}
		return out, "Jan 2006"
	}
	// Ticks sit in the middle of their stretch of days, so none is squeezed against an edge.
	step := (n + chartMaxXTicks - 1) / chartMaxXTicks
	var out []int
	for i := step / 2; i < n; i += step {
		out = append(out, i)
	}
	return out, "2 Jan"
}

// dailyChart draws one metric of the report's days as bars.
func dailyChart(id, title, class string, days []app.DayMetrics, value func(app.DayMetrics) int64) chart {
	c := chart{ID: id, Title: title, Class: class, W: num(chartW), H: num(chartH),
		Left: num(chartLeft), Right: num(chartW - chartRight), Top: num(chartTop), Bottom: num(chartH - chartBottom)}
	left, right, top, bottom := chartLeft, chartW-chartRight, chartTop, chartH-chartBottom
	var peak int64
	peakDay := ""
	var total int64
	dates := make([]time.Time, len(days))
	for i, d := range days {
		dates[i], _ = time.Parse(time.DateOnly, d.Date)
		v := value(d)
		total += v
		if v > peak {
			peak, peakDay = v, dates[i].Format("2 Jan 2006")
		}
	}
	top2 := niceMax(peak)
	c.YTicks = yTicks(top2, top, bottom, left)
	if len(days) == 0 {
		c.Desc = "No days in this range."
		c.Empty = "No data"
		return c
	}
	first, last := dates[0].Format("2 Jan 2006"), dates[len(dates)-1].Format("2 Jan 2006")
	c.Desc = fmt.Sprintf("%s per day from %s to %s: %s in total", title, first, last, thousands64(total))
	if peak > 0 {
		c.Desc += fmt.Sprintf(", highest %s on %s.", thousands64(peak), peakDay)
	} else {
		c.Desc += "."
		c.Empty = "No " + lower(title) + " in this range"
	}
	slot := (right - left) / float64(len(days))
	gap := 0.0
	if slot >= 4 {
		gap = math.Min(slot*0.2, 4)
	}
	for i, d := range days {
		v := value(d)
		if v <= 0 {
			continue
		}
		h := float64(v) / top2 * (bottom - top)
		c.Bars = append(c.Bars, chartBar{X: num(left + float64(i)*slot + gap/2), Y: num(bottom - h), W: num(math.Max(slot-gap, 0.5)), H: num(h),
			Label: dates[i].Format("Mon 2 Jan 2006") + ": " + thousands64(v)})
	}
	idx, layout := dayTickIndexes(dates)
	for _, i := range idx {
		x := left + (float64(i)+0.5)*slot
		c.XTicks = append(c.XTicks, chartTick{X: num(x), Y: num(chartH - 6), Label: dates[i].Format(layout), Anchor: anchor(x, left, right)})
	}
	return c
}

// seriesChart draws a post's impressions at each collection as a line over time.
func seriesChart(series []ports.MetricsRow, loc *time.Location) chart {
	c := chart{ID: "post-series", Title: "Impressions over time", Class: "m-impressions", W: num(postChartW), H: num(postChartH),
		Left: num(chartLeft), Right: num(postChartW - chartRight), Top: num(chartTop), Bottom: num(postChartH - chartBottom)}
	left, right, top, bottom := chartLeft, postChartW-chartRight, chartTop, postChartH-chartBottom
	type pt struct {
		at time.Time
		v  int64
	}
	var pts []pt
	var peak int64
	for _, r := range series {
		at, err := time.Parse(time.RFC3339, r.Key)
		if err != nil {
			continue
		}
		pts = append(pts, pt{at.In(loc), r.Impressions})
		peak = max(peak, r.Impressions)
	}
	top2 := niceMax(peak)
	c.YTicks = yTicks(top2, top, bottom, left)
	if len(pts) == 0 {
		c.Desc, c.Empty = "No metrics collected yet.", "No data"
		return c
	}
	t0, t1 := pts[0].at, pts[len(pts)-1].at
	span := t1.Sub(t0).Seconds()
	xOf := func(t time.Time) float64 {
		if span <= 0 {
			return (left + right) / 2
		}
		return left + t.Sub(t0).Seconds()/span*(right-left)
	}
	layout := "2 Jan 15:04"
	if t1.Sub(t0) > 48*time.Hour {
		layout = "2 Jan"
	}
	for i, p := range pts {
		x, y := xOf(p.at), bottom-float64(p.v)/top2*(bottom-top)
		if i > 0 {
			c.Line += " "
		}
		c.Line += num(x) + "," + num(y)
		c.Dots = append(c.Dots, chartDot{X: num(x), Y: num(y), Label: p.at.Format("2 Jan 2006, 15:04") + ": " + thousands64(p.v) + " impressions"})
	}
	ticks := []time.Time{t0}
	if span > 0 {
		ticks = append(ticks, t0.Add(t1.Sub(t0)/2), t1)
	}
	for _, t := range ticks {
		x := xOf(t)
		c.XTicks = append(c.XTicks, chartTick{X: num(x), Y: num(postChartH - 6), Label: t.Format(layout), Anchor: anchor(x, left, right)})
	}
	c.Desc = fmt.Sprintf("Impressions of this post at %d collections from %s to %s, latest %s.", len(pts),
		t0.Format("2 Jan 2006, 15:04"), t1.Format("2 Jan 2006, 15:04"), thousands64(pts[len(pts)-1].v))
	return c
}

func thousands64(n int64) string { return thousands(int(n)) }

func lower(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
	return string(b)
}
