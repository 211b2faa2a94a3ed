package report

import (
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"openbank/kit/observe"
)

// hopNames are the hops measured in c, in the order a command passes them;
// hops this report does not know come last, by name.
func hopNames(c Category) []string {
	seen := map[string]bool{}
	for _, l := range c.Loads {
		for h := range l.HopsMS {
			seen[h] = true
		}
	}
	var out, other []string
	for _, h := range observe.Hops {
		if seen[h] {
			out = append(out, h)
			delete(seen, h)
		}
	}
	for h := range seen {
		other = append(other, h)
	}
	sort.Strings(other)
	return append(out, other...)
}

// hopCharts are one stacked chart per category that measured hops: the mean
// time in each hop at each additional load.
func hopCharts(r Results) []Chart {
	var out []Chart
	for _, c := range r.Categories {
		names := hopNames(c)
		if len(names) == 0 {
			continue
		}
		var xs []float64
		layers := make([]Series, len(names))
		for i, n := range names {
			layers[i].Name = n
		}
		for _, l := range c.Loads {
			if len(l.HopsMS) == 0 {
				continue
			}
			xs = append(xs, l.AdditionalLoad)
			for i, n := range names {
				if v, ok := l.HopsMS[n]; ok {
					layers[i].Points = append(layers[i].Points, Point{X: l.AdditionalLoad, Y: v})
				}
			}
		}
		out = append(out, Chart{StackedChart("Time per hop, "+c.Name, "additional load (msg/s)", "ms (mean)", xs, layers)})
	}
	return out
}

// writeHops prints, per category and load, the mean time in each hop (ms).
func writeHops(w io.Writer, r Results) error {
	for _, c := range r.Categories {
		names := hopNames(c)
		if len(names) == 0 {
			continue
		}
		fmt.Fprintf(w, "\ntime per hop, %s (mean ms)\n", c.Name)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "load\t")
		for _, n := range names {
			fmt.Fprintf(tw, "%s\t", n)
		}
		fmt.Fprintln(tw)
		for _, l := range c.Loads {
			if len(l.HopsMS) == 0 {
				continue
			}
			fmt.Fprintf(tw, "%.0f\t", l.AdditionalLoad)
			for _, n := range names {
				if v, ok := l.HopsMS[n]; ok {
					fmt.Fprintf(tw, "%.1f\t", v)
				} else {
					fmt.Fprint(tw, "\t")
				}
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
