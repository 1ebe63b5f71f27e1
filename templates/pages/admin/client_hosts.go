package admin

import "github.com/devportal/devportal/templates/layout"

// ClientHostsView is the admin page of blocked client hosts: hosts whose client ID metadata
// documents (an https URL as client_id) are refused.
type ClientHostsView struct {
	layout.Base
	Enabled bool // DEVPORTAL_CIMD=on
	Hosts   []ClientHostRow
	// The block form: what was typed, and what is wrong with it.
	Host, Reason           string
	HostError, ReasonError string
	ReasonMax              int
}

// ClientHostRow is one blocked host.
type ClientHostRow struct {
	Host, Reason, BlockedBy string
	CreatedISO, Created     string
	UnblockURL              string
}
