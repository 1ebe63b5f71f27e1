package auth

import "github.com/devportal/devportal/templates/layout"

// DeviceView is the /device page (RFC 8628 §3.3): the user types the code their device shows.
type DeviceView struct {
	layout.Base
	Action string // where "Continue" posts
	Code   string // as typed, or from ?user_code= (verification_uri_complete)
	Error  string
}

// DeviceDoneView ends a device sign-in: the user goes back to their device.
type DeviceDoneView struct {
	layout.Base
	Approved bool
}
