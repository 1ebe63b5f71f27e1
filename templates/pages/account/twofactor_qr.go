package account

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/a-h/templ"
	"github.com/boombuler/barcode/qr"
)

// qrQuiet is the blank margin, in modules, that scanners need around a QR code (ISO/IEC 18004).
const qrQuiet = 4

// QRCode draws content as a QR code in inline SVG, on the server: no script, no image request,
// nothing a CSP has to allow. Only numbers derived from the module matrix reach the markup.
func QRCode(content, label string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		code, err := qr.Encode(content, qr.M, qr.Auto)
		if err != nil {
			return err
		}
		n := code.Bounds().Dx()
		var path strings.Builder
		for y := range n {
			for x := range n {
				if r, _, _, _ := code.At(x, y).RGBA(); r == 0 {
					fmt.Fprintf(&path, "M%d %dh1v1h-1z", x+qrQuiet, y+qrQuiet)
				}
			}
		}
		size := n + 2*qrQuiet
		_, err = fmt.Fprintf(w, `<svg class="qr-code" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" shape-rendering="crispEdges"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
			size, size, size*5, size*5, templ.EscapeString(label), size, size, path.String())
		return err
	})
}
