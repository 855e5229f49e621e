//go:build linux

package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"slices"
)

// Chart colours.
const (
	colBackground = 0xffffff
	colText       = 0x1e1e1e
	colGrid       = 0xc8c8c8
	colOne        = 0x5a5a5a
	colTarget     = 0xd62728
	colNginx      = 0x1f77b4
	colHAProxy    = 0xff7f0e
)

// rgb turns 0xRRGGBB into an opaque colour.
func rgb(v uint32) color.RGBA {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

// peerColor gives each peer its bar colour.
func peerColor(peer string) color.RGBA {
	if peer == nameHAProxy {
		return rgb(colHAProxy)
	}
	return rgb(colNginx)
}

// chartLayout holds the fixed geometry of the ratio chart.
type chartLayout struct {
	width, labelW, plotX0, plotX1, top, rowH, barH int
	maxRatio                                       float64
}

// renderChart draws strait/peer ratios as horizontal bars, one group per
// metric with a chart label, with the 1.0 line and target ticks. Rows for
// lower-is-better metrics carry a '*' after their label.
func renderChart(t table, title string) ([]byte, error) {
	var rows []row
	maxR := 2.0
	for _, r := range t.Rows {
		if r.Metric.Short == "" {
			continue
		}
		any := false
		for _, p := range t.Peers {
			if v := r.Ratios[p]; !math.IsNaN(v) {
				any = true
				maxR = math.Max(maxR, math.Min(v*1.1, 4))
			}
		}
		if any {
			rows = append(rows, r)
		}
	}
	td := newTextDrawer(2)
	small := newTextDrawer(1)
	l := chartLayout{width: 1000, labelW: 240, top: 90, barH: 12, maxRatio: math.Ceil(maxR*2) / 2}
	l.plotX0, l.plotX1 = l.labelW+20, l.width-70
	l.rowH = len(t.Peers)*(l.barH+4) + 14
	height := l.top + max(1, len(rows))*l.rowH + 50
	img := image.NewRGBA(image.Rect(0, 0, l.width, height))
	draw.Draw(img, img.Bounds(), &image.Uniform{rgb(colBackground)}, image.Point{}, draw.Src)

	td.draw(img, 20, 14, title, rgb(colText))
	small.draw(img, 20, 40, "BARS: STRAIT / PEER, MEDIANS OF THE SAME RUN.  * = LOWER IS BETTER.  RED TICK = TARGET.", rgb(colText))
	lx := 20
	for _, p := range t.Peers {
		fillRect(img, lx, 58, 14, 14, peerColor(p))
		td.draw(img, lx+20, 58, p, rgb(colText))
		lx += 20 + td.width(p) + 30
	}
	if len(rows) == 0 {
		td.draw(img, 20, l.top+10, "NO RATIOS YET: STRAIT HAS NO RESULTS", rgb(colTarget))
	}
	l.axis(img, small, height)
	for i, r := range rows {
		y := l.top + i*l.rowH
		label := r.Metric.Short
		if !r.Metric.Higher {
			label += "*"
		}
		td.draw(img, l.labelW-td.width(label), y+(l.rowH-td.height())/2-4, label, rgb(colText))
		for j, p := range t.Peers {
			by := y + 4 + j*(l.barH+4)
			v := r.Ratios[p]
			labelX := l.plotX0 + 4
			if !math.IsNaN(v) {
				end := l.x(math.Min(v, l.maxRatio))
				fillRect(img, l.plotX0, by, end-l.plotX0, l.barH, peerColor(p))
				labelX = end + 4
			}
			if r.Metric.Target != nil && slices.Contains(r.Metric.Target.Peers, p) {
				tx := l.x(math.Min(r.Metric.Target.Ratio, l.maxRatio))
				fillRect(img, tx-1, by-2, 3, l.barH+4, rgb(colTarget))
				if tx+1 >= labelX-4 && tx-1 <= labelX+small.width("0.00") {
					labelX = tx + 5 // keep the number clear of the tick
				}
			}
			label := "N/A"
			if !math.IsNaN(v) {
				label = fmt.Sprintf("%.2f", v)
			}
			small.draw(img, labelX, by+3, label, rgb(colText))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return buf.Bytes(), nil
}

// x maps a ratio to a pixel column.
func (l chartLayout) x(r float64) int {
	return l.plotX0 + int(r/l.maxRatio*float64(l.plotX1-l.plotX0))
}

// axis draws grid lines every 0.5 with labels, and a dark line at 1.0.
func (l chartLayout) axis(img *image.RGBA, td textDrawer, height int) {
	bottom := height - 40
	for i := 0; i <= int(l.maxRatio*2) && i <= 40; i++ {
		r := float64(i) / 2
		x := l.x(r)
		c := rgb(colGrid)
		if i == 2 {
			c = rgb(colOne)
		}
		fillRect(img, x, l.top-6, 1, bottom-l.top+6, c)
		s := fmt.Sprintf("%.1f", r)
		td.draw(img, x-td.width(s)/2, bottom+6, s, rgb(colText))
	}
}

func fillRect(img *image.RGBA, x, y, w, h int, c color.Color) {
	if w <= 0 || h <= 0 {
		return
	}
	draw.Draw(img, image.Rect(x, y, x+w, y+h), &image.Uniform{c}, image.Point{}, draw.Src)
}
