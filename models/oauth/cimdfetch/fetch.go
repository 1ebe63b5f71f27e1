// Package cimdfetch fetches OAuth client ID metadata documents for models/oauth without letting
// a client_id aim the server at its own network (draft-ietf-oauth-client-id-metadata-document-02
// §8.6, server-side request forgery). It is the one place of models/oauth that speaks HTTP, kept
// apart so the protocol package still sees no net/http.
package cimdfetch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/devportal/devportal/models/oauth"
)

// Options configure a Fetcher.
type Options struct {
	// AllowLoopback lets documents come from loopback addresses, over http or https
	// (DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH=true, for development and tests). Every other
	// non-public address stays refused.
	AllowLoopback bool
	// MaxBytes caps a document (0: oauth.MaxMetadataDocumentBytes); Timeout bounds the whole
	// fetch (0: oauth.MetadataFetchTimeout).
	MaxBytes int64
	Timeout  time.Duration
	// Resolver resolves host names; nil is net.DefaultResolver. Tests point a name at a
	// private address with it.
	Resolver *net.Resolver
	// TLS is the client TLS configuration; nil verifies against the system roots.
	TLS *tls.Config
}

// Fetcher is the SSRF-guarded fetcher of metadata documents.
type Fetcher struct {
	opts Options
}

var _ oauth.MetadataFetcher = (*Fetcher)(nil)

// New returns a Fetcher with opts' defaults filled in.
func New(opts Options) *Fetcher {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = oauth.MaxMetadataDocumentBytes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = oauth.MetadataFetchTimeout
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	return &Fetcher{opts: opts}
}

// ErrRefusedAddress is a destination the fetcher never connects to.
var ErrRefusedAddress = errors.New("refused address")

// FetchClientMetadata GETs rawURL and returns its body and HTTP freshness. It refuses: a
// destination address that is not public (checked on the address actually dialled, after DNS,
// so a name that resolves to a private address is refused too); plain http except on loopback
// with AllowLoopback; any redirect (§5: only a 200 answer is a document); any status but 200; a
// content type other than application/json; a body over MaxBytes; and anything slower than
// Timeout altogether. TLS certificates are verified.
func (f *Fetcher) FetchClientMetadata(ctx context.Context, rawURL string) (*oauth.FetchedMetadata, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("not a URL")
	}
	httpOnly := u.Scheme == "http"
	if u.Scheme != "https" && !(httpOnly && f.opts.AllowLoopback) {
		return nil, fmt.Errorf("only https URLs are fetched")
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	dialer := &net.Dialer{
		Resolver: f.opts.Resolver,
		// Control runs for each address the dialer is about to connect to, after resolution:
		// the one place a name cannot be swapped for another address between check and use.
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrRefusedAddress, address)
			}
			ip := ap.Addr().Unmap()
			switch {
			case ip.IsLoopback() && f.opts.AllowLoopback:
				return nil
			case httpOnly:
				return fmt.Errorf("%w: plain http is fetched only from loopback addresses", ErrRefusedAddress)
			}
			if why := Refused(ip); why != "" {
				// The address itself is not told: the message reaches whoever sent the client_id,
				// who would otherwise learn what internal names resolve to.
				return fmt.Errorf("%w: the host's address is %s", ErrRefusedAddress, why)
			}
			return nil
		},
	}
	transport := &http.Transport{
		DialContext:            dialer.DialContext,
		TLSClientConfig:        f.opts.TLS,
		TLSHandshakeTimeout:    f.opts.Timeout,
		ResponseHeaderTimeout:  f.opts.Timeout,
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: 16 << 10,
		// A proxy would connect on our behalf to whatever it is asked, outside the check.
		Proxy: nil,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("the document URL redirects; it must answer 200 itself")
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("not a URL")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, describe(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			return nil, errors.New("the document URL redirects; it must answer 200 itself")
		}
		return nil, fmt.Errorf("the server answered %d, not 200", resp.StatusCode)
	}
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, fmt.Errorf("the content type is %q, not application/json", resp.Header.Get("Content-Type"))
	}
	if resp.ContentLength > f.opts.MaxBytes {
		return nil, fmt.Errorf("the document is larger than %d bytes", f.opts.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBytes+1))
	if err != nil {
		return nil, describe(err)
	}
	if int64(len(body)) > f.opts.MaxBytes {
		return nil, fmt.Errorf("the document is larger than %d bytes", f.opts.MaxBytes)
	}
	out := &oauth.FetchedMetadata{Body: body}
	out.MaxAge, out.HasMaxAge = Freshness(resp.Header, time.Now())
	return out, nil
}

// describe turns a transport error into words that name the cause without internals.
func describe(err error) error {
	switch {
	case errors.Is(err, ErrRefusedAddress):
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			return errors.New(strings.TrimPrefix(op.Err.Error(), "dial tcp: "))
		}
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("it took too long")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Freshness reads how long a response stays fresh (RFC 9111 §4.2.1): Cache-Control max-age,
// else Expires minus Date (or minus now). ok is false without either, and for no-store or
// no-cache, which leave the caller's minimum.
func Freshness(h http.Header, now time.Time) (time.Duration, bool) {
	for _, directive := range strings.Split(strings.ToLower(strings.Join(h.Values("Cache-Control"), ",")), ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		switch name {
		case "no-store", "no-cache":
			return 0, false
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
			if err != nil || n < 0 {
				return 0, false
			}
			return time.Duration(min(n, int64(365*24*3600))) * time.Second, true
		}
	}
	if exp := h.Get("Expires"); exp != "" {
		t, err := http.ParseTime(exp)
		if err != nil {
			return 0, true // an invalid Expires means already expired (RFC 9111 §5.3)
		}
		base := now
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			base = d
		}
		return max(t.Sub(base), 0), true
	}
	return 0, false
}

// nonPublic are the IPv4 and IPv6 ranges that are not the public internet, beyond what
// netip.Addr's predicates name: shared address space (CGNAT), the IETF protocol assignments,
// benchmarking, documentation, reserved, NAT64 and 6to4 (which embed an IPv4 address), Teredo,
// and the discard prefix.
var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
		"::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/32", "2001:db8::/32", "2002::/16",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Refused says why ip is not fetched from ("" when it may be): loopback, private, link-local,
// unspecified, multicast, or one of the other non-public ranges. IPv4-mapped IPv6 addresses are
// judged as the IPv4 address they carry.
func Refused(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "not an address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsUnspecified():
		return "the unspecified address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast address"
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return "not a public address (" + p.String() + ")"
		}
	}
	return ""
}
