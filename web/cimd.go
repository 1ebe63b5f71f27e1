package web

import (
	"github.com/devportal/devportal/models/oauth"
	"github.com/devportal/devportal/models/oauth/cimdfetch"
)

// ClientMetadata sets the protocol policy's client ID metadata documents from the settings:
// the SSRF-guarded fetcher when DEVPORTAL_CIMD=on (nil otherwise, which turns URL client ids
// off), and loopback URLs when DEVPORTAL_DEV_ALLOW_LOOPBACK_FETCH=true.
func (cfg Config) ClientMetadata(o *oauth.Config) {
	o.ClientMetadata, o.LoopbackClientIDs = nil, false
	if !cfg.CIMD {
		return
	}
	o.ClientMetadata = cimdfetch.New(cimdfetch.Options{AllowLoopback: cfg.DevAllowLoopbackFetch})
	o.LoopbackClientIDs = cfg.DevAllowLoopbackFetch
}
