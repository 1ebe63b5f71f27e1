package auth

import "github.com/devportal/devportal/templates/layout"

// ForgotPasswordView is the form that mails a password-reset link.
type ForgotPasswordView struct {
	layout.Base
	Action string // where the form posts
	Email  string
	Error  string
}

// ResetPasswordView is the form a reset link opens.
type ResetPasswordView struct {
	layout.Base
	Action string
	Token  string // the link's token, posted back with the new password
	Error  string
}

// NoticeView is a page that only tells something, with an optional way on.
type NoticeView struct {
	layout.Base
	Heading  string
	Message  string
	LinkURL  string
	LinkText string
}
