package oauth

import (
	"context"
)

// Metadata is the authorization server metadata document: RFC 8414's, which OpenID Connect
// Discovery 1.0 §3 extends. One document serves both well-known paths, so they agree on every
// field by construction.
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
	// RFC 8628 §4: where devices start a device sign-in.
	DeviceAuthorizationEndpoint string `json:"device_authorization_endpoint,omitempty"`
	// RegistrationEndpoint (RFC 8414 §2, RFC 7591 §3) is advertised only when dynamic client
	// registration is on: the caller passes a "registration" path only then.
	RegistrationEndpoint string `json:"registration_endpoint,omitempty"`

	// OpenID Connect Discovery 1.0 §3, and the logout specifications.
	UserinfoEndpoint                 string   `json:"userinfo_endpoint"`
	EndSessionEndpoint               string   `json:"end_session_endpoint"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
	ClaimTypesSupported              []string `json:"claim_types_supported"`
	PromptValuesSupported            []string `json:"prompt_values_supported"`
	// Stated because Discovery's defaults differ from what devportal does: request_uri_parameter_
	// supported defaults to true, and a relying party should not assume the rest.
	RequestParameterSupported    bool `json:"request_parameter_supported"`
	RequestURIParameterSupported bool `json:"request_uri_parameter_supported"`
	ClaimsParameterSupported     bool `json:"claims_parameter_supported"`
	FrontchannelLogoutSupported  bool `json:"frontchannel_logout_supported"`
	BackchannelLogoutSupported   bool `json:"backchannel_logout_supported"`

	// ClientIDMetadataDocumentSupported is sent only when URL client ids are accepted
	// (draft-ietf-oauth-client-id-metadata-document §6).
	ClientIDMetadataDocumentSupported bool `json:"client_id_metadata_document_supported,omitempty"`
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
	md := &Metadata{
		Issuer:                            iss,
		AuthorizationEndpoint:             iss + paths["authorization"],
		TokenEndpoint:                     iss + paths["token"],
		IntrospectionEndpoint:             iss + paths["introspection"],
		RevocationEndpoint:                iss + paths["revocation"],
		JWKSURI:                           iss + paths["jwks"],
		ScopesSupported:                   names,
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{ResponseModeQuery, ResponseModeFormPost},
		GrantTypesSupported:               []string{GrantAuthorizationCode, GrantClientCredentials, GrantRefreshToken, GrantDeviceCode},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "none"},
		// Introspection needs a confidential client; revocation also takes a public one by id.
		IntrospectionEndpointAuthMethodsSupported:  []string{"client_secret_basic", "client_secret_post"},
		RevocationEndpointAuthMethodsSupported:     []string{"client_secret_basic", "client_secret_post", "none"},
		CodeChallengeMethodsSupported:              []string{MethodS256},
		AuthorizationResponseISSParameterSupported: true,
		ServiceDocumentation:                       iss + paths["docs"],
		DeviceAuthorizationEndpoint:                iss + paths["device_authorization"],

		UserinfoEndpoint:                 iss + paths["userinfo"],
		EndSessionEndpoint:               iss + paths["end_session"],
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{AlgRS256, AlgES256},
		ClaimsSupported:                  ClaimsSupported,
		ClaimTypesSupported:              []string{"normal"},
		PromptValuesSupported:            promptValues,

		ClientIDMetadataDocumentSupported: s.ClientMetadataEnabled(),
	}
	if p := paths["registration"]; p != "" {
		md.RegistrationEndpoint = iss + p
	}
	return md, nil
}
