package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Point is one (x, y) of a series.
type Point struct{ X, Y float64 }

// Series is one line of a chart.
type Series struct {
	Name   string
	Points []Point
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"}

// niceStep is a 1, 2 or 5 × 10^n step giving about n ticks over span.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func fmtTick(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// LineChart draws series as an inline SVG line chart with axes, ticks and a
// legend; a self-contained image that needs no script or network.
func LineChart(title, xLabel, yLabel string, series []Series) template.HTML {
	const w, h = 720.0, 340.0
	const left, right, top, bottom = 64.0, 230.0, 34.0, 46.0
	pw, ph := w-left-right, h-top-bottom
	xmin, xmax, ymax := math.Inf(1), math.Inf(-1), 0.0
	any := false
	for _, s := range series {
		for _, p := range s.Points {
			any = true
			xmin, xmax = math.Min(xmin, p.X), math.Max(xmax, p.X)
			ymax = math.Max(ymax, p.Y)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`,
		w, h, w, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="14" font-weight="bold">%s</text>`, left, html.EscapeString(title))
	if !any {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="#888">no data</text></svg>`, left+20, top+ph/2)
		return template.HTML(b.String())
	}
	if xmax == xmin {
		xmax = xmin + 1
	}
	if ymax <= 0 {
		ymax = 1
	}
	ystep := niceStep(ymax, 5)
	ymax = math.Ceil(ymax/ystep) * ystep
	xstep := niceStep(xmax-xmin, 6)
	px := func(x float64) float64 { return left + (x-xmin)/(xmax-xmin)*pw }
	py := func(y float64) float64 { return top + ph - y/ymax*ph }
	// Grid and y ticks.
	for y := 0.0; y <= ymax+ystep/2; y += ystep {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`, left, py(y), left+pw, py(y))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end">%s</text>`, left-6, py(y)+4, fmtTick(y))
	}
	for x := math.Ceil(xmin/xstep) * xstep; x <= xmax+xstep/1000; x += xstep {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#999"/>`, px(x), top+ph, px(x), top+ph+4)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s</text>`, px(x), top+ph+16, fmtTick(x))
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999"/>`, left, top, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>`, left+pw/2, h-8, html.EscapeString(xLabel))
	fmt.Fprintf(&b, `<text x="14" y="%.1f" font-size="12" text-anchor="middle" transform="rotate(-90 14 %.1f)">%s</text>`, top+ph/2, top+ph/2, html.EscapeString(yLabel))
	for i, s := range series {
		color := palette[i%len(palette)]
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(p.X), py(p.Y)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"><title>%s</title></polyline>`, color, strings.Join(pts, " "), html.EscapeString(s.Name))
		for _, p := range s.Points {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"><title>%s: %s → %s</title></circle>`,
				px(p.X), py(p.Y), color, html.EscapeString(s.Name), fmtTick(p.X), fmtTick(math.Round(p.Y*100)/100))
		}
		ly := top + 10 + float64(i)*18
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/>`, left+pw+12, ly, left+pw+30, ly, color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12">%s</text>`, left+pw+36, ly+4, html.EscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// StackedChart draws layers stacked on each other over x, each layer's value
// at a point added to those below it: where the time goes, hop by hop.
func StackedChart(title, xLabel, yLabel string, xs []float64, layers []Series) template.HTML {
	const w, h = 720.0, 340.0
	const left, right, top, bottom = 64.0, 230.0, 34.0, 46.0
	pw, ph := w-left-right, h-top-bottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`,
		w, h, w, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%.0f" y="20" font-size="14" font-weight="bold">%s</text>`, left, html.EscapeString(title))
	if len(xs) == 0 || len(layers) == 0 {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="#888">no data</text></svg>`, left+20, top+ph/2)
		return template.HTML(b.String())
	}
	// tops[i][j] is the top of layer i at xs[j].
	tops := make([][]float64, len(layers))
	below := make([]float64, len(xs))
	for i, l := range layers {
		tops[i] = make([]float64, len(xs))
		for j, x := range xs {
			for _, p := range l.Points {
				if p.X == x {
					below[j] += p.Y
				}
			}
			tops[i][j] = below[j]
		}
	}
	ymax := 0.0
	for _, v := range below {
		ymax = math.Max(ymax, v)
	}
	if ymax <= 0 {
		ymax = 1
	}
	ystep := niceStep(ymax, 5)
	ymax = math.Ceil(ymax/ystep) * ystep
	// Bars, one per x, so loads need not be evenly spaced.
	bw := pw / float64(len(xs))
	py := func(y float64) float64 { return top + ph - y/ymax*ph }
	for y := 0.0; y <= ymax+ystep/2; y += ystep {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`, left, py(y), left+pw, py(y))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="end">%s</text>`, left-6, py(y)+4, fmtTick(y))
	}
	every := max(1, len(xs)/8)
	for j, x := range xs {
		cx := left + bw*(float64(j)+0.5)
		if j%every == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" text-anchor="middle">%s</text>`, cx, top+ph+16, fmtTick(x))
		}
		prev := 0.0
		for i, l := range layers {
			t := tops[i][j]
			if t > prev {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s at %s: %s %s</title></rect>`,
					cx-bw*0.4, py(t), bw*0.8, py(prev)-py(t), palette[i%len(palette)], html.EscapeString(l.Name), fmtTick(x), fmtTick(math.Round((t-prev)*10)/10), html.EscapeString(yLabel))
			}
			prev = t
		}
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#999"/>`, left, top, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle">%s</text>`, left+pw/2, h-8, html.EscapeString(xLabel))
	fmt.Fprintf(&b, `<text x="14" y="%.1f" font-size="12" text-anchor="middle" transform="rotate(-90 14 %.1f)">%s</text>`, top+ph/2, top+ph/2, html.EscapeString(yLabel))
	// The legend lists the top layer first, as the bars stack.
	for i := len(layers) - 1; i >= 0; i-- {
		ly := top + 10 + float64(len(layers)-1-i)*18
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="14" height="10" fill="%s"/>`, left+pw+12, ly-6, palette[i%len(palette)])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12">%s</text>`, left+pw+32, ly+4, html.EscapeString(layers[i].Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
