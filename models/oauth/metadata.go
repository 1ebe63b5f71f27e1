package oauth

import (
	"context"
)

// Metadata is the RFC 8414 authorization server metadata document.
type Metadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	IntrospectionEndpoint                      string   `json:"introspection_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	JWKSURI                                    string   `json:"jwks_uri"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	AuthorizationResponseISSParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	ServiceDocumentation                       string   `json:"service_documentation,omitempty"`
}

// Metadata describes what this server really supports; endpoints are given as paths relative
// to the issuer so the route table stays the one place that names them.
func (s *Server) Metadata(ctx context.Context, paths map[string]string) (*Metadata, error) {
	scopes, err := s.store.ActiveScopes(ctx)
	if err != nil {
		return nil, err
	}
	names := scopeNames(scopes)
	iss := s.cfg.Issuer
	return &Metadata{
		Issuer:                            iss,
		AuthorizationEndpoint:             iss + paths["authorization"],
		TokenEndpoint:                     iss + paths["token"],
		IntrospectionEndpoint:             iss + paths["introspection"],
		RevocationEndpoint:                iss + paths["revocation"],
		JWKSURI:                           iss + paths["jwks"],
		ScopesSupported:                   names,
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query"},
		GrantTypesSupported:               []string{GrantAuthorizationCode, GrantClientCredentials, GrantRefreshToken},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "none"},
		// Introspection needs a confidential client; revocation also takes a public one by id.
		IntrospectionEndpointAuthMethodsSupported:  []string{"client_secret_basic", "client_secret_post"},
		RevocationEndpointAuthMethodsSupported:     []string{"client_secret_basic", "client_secret_post", "none"},
		CodeChallengeMethodsSupported:              []string{MethodS256},
		AuthorizationResponseISSParameterSupported: true,
		ServiceDocumentation:                       iss + paths["docs"],
	}, nil
}
