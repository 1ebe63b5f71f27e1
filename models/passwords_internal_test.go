package models

import (
	"testing"

	"github.com/alexedwards/argon2id"
)

// TestDummyHashMatchesPasswordParams: the hash an unknown email is checked against must cost what
// a real account's check costs, or the login's timing tells which emails have accounts (OWASP
// ASVS 2.2, account enumeration). It is written out in the source, so a change of passwordParams
// must come with a new one.
func TestDummyHashMatchesPasswordParams(t *testing.T) {
	params, _, _, err := argon2id.DecodeHash(dummyHash)
	if err != nil {
		t.Fatal(err)
	}
	if *params != *passwordParams {
		t.Fatalf("dummyHash was made with %+v, passwords are hashed with %+v: generate a new one", *params, *passwordParams)
	}
}
