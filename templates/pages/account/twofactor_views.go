package account

// TwoFactorView is the two-factor (TOTP) section of the security page.
type TwoFactorView struct{}
