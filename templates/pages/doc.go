// Package pages is the portal's pages, one sub-package per area: apps (a developer's
// applications), account, admin, auth (signing in, consent, the error page) and docs, with the
// view parts they share in shared. Its test checks every page at once.
package pages
