package render

import (
	"reflect"
	"testing"

	"github.com/devportal/devportal/docs/apiref"
)

// A small document with one of each thing the reference page shows. Its order is deliberately
// not alphabetical: the page follows the document, which Go maps alone would lose.
const testSpec = `openapi: 3.1.0
info:
  title: Test API
  version: "2.0"
  description: The **test** API.
security:
  - bearer: [ITEM.READ, ITEM.WRITE]
tags:
  - name: Tokens
    description: Getting a *token*.
  - name: Empty
paths:
  /z/token:
    post:
      tags: [Tokens]
      summary: Get a token
      security:
        - {}
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [grant_type]
              properties:
                grant_type:
                  type: string
                  enum: [client_credentials]
                scope:
                  type: string
                  maxLength: 10
            example:
              grant_type: client_credentials
              scope: A B
      responses:
        "200":
          description: The token.
          headers:
            Cache-Control:
              required: true
              description: Never cached.
              schema: {type: string}
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Token"}
              examples:
                second:
                  summary: Shown first
                  value: {access_token: x}
                first:
                  value: {access_token: y}
  /a/items/{id}:
    parameters:
      - name: id
        in: path
        required: true
        description: The item.
        schema: {type: integer, minimum: 1, maximum: 9}
    get:
      summary: One item
      parameters:
        - name: verbose
          in: query
          schema: {type: boolean, default: false}
      responses:
        "404":
          description: No such item.
          content:
            text/plain:
              schema: {type: string, description: A sentence.}
              example: not found
components:
  schemas:
    Token:
      type: object
      description: An access token.
      properties:
        access_token: {type: string}
        expires_at: {type: string, format: date-time}
        scopes:
          oneOf:
            - type: string
            - type: array
              items: {type: string}
        owner:
          type: object
          properties:
            id: {type: [string, "null"], pattern: "^u_"}
        grants:
          type: array
          items:
            type: object
            required: [name]
            properties:
              name: {type: string}
        issuer: {$ref: "#/components/schemas/Issuer"}
    Issuer:
      type: object
      properties:
        url: {type: string, format: uri}
`

func mustReference(t *testing.T) *apiref.Reference {
	t.Helper()
	ref, err := APIReference([]byte(testSpec))
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func TestAPIReferenceGroupsAndOperations(t *testing.T) {
	ref := mustReference(t)
	if ref.Title != "Test API" || ref.Version != "2.0" || ref.DescriptionHTML != "<p>The <strong>test</strong> API.</p>\n" {
		t.Errorf("info: %q %q %q", ref.Title, ref.Version, ref.DescriptionHTML)
	}
	// Tags in the document's order, an untagged operation under "Other", empty tags left out.
	var groups []string
	for _, g := range ref.Groups {
		groups = append(groups, g.ID+":"+g.Name)
	}
	if want := []string{"tokens:Tokens", "other:Other"}; !reflect.DeepEqual(groups, want) {
		t.Fatalf("groups %v, want %v", groups, want)
	}
	if got := ref.Groups[0].DescriptionHTML; got != "Getting a <em>token</em>." {
		t.Errorf("tag description %q", got)
	}

	post := ref.Groups[0].Operations[0]
	if post.ID != "post-z-token" || post.Method != "POST" || post.Path != "/z/token" || post.Summary != "Get a token" {
		t.Errorf("operation %+v", post)
	}
	if !reflect.DeepEqual(post.Security, []string{"none"}) {
		t.Errorf("an empty security requirement is %v, want none", post.Security)
	}
	get := ref.Groups[1].Operations[0]
	if get.ID != "get-a-items-id" || !reflect.DeepEqual(get.Security, []string{"bearer with ITEM.READ, ITEM.WRITE"}) {
		t.Errorf("the document's security applies: %s %v", get.ID, get.Security)
	}
	// Path-level parameters come before the operation's, with their constraints in words.
	wantParams := []apiref.Field{
		{Name: "id", In: "path", Type: "integer", Required: true, DescriptionHTML: "The item. From 1 to 9."},
		{Name: "verbose", In: "query", Type: "boolean", DescriptionHTML: "Default <code>false</code>."},
	}
	if !reflect.DeepEqual(get.Parameters, wantParams) {
		t.Errorf("parameters\n%+v\nwant\n%+v", get.Parameters, wantParams)
	}
}

func TestAPIReferenceBodiesAndResponses(t *testing.T) {
	ref := mustReference(t)
	post := ref.Groups[0].Operations[0]

	// An inline request body: its fields, its constraints, and its example as a form.
	wantReq := []apiref.Body{{
		MediaType: "application/x-www-form-urlencoded", Type: "object",
		Fields: []apiref.Field{
			{Name: "grant_type", Type: "string", Required: true, DescriptionHTML: "One of <code>client_credentials</code>."},
			{Name: "scope", Type: "string", DescriptionHTML: "At most 10 characters."},
		},
		Examples: []apiref.Example{{Name: "Example", Body: "grant_type=client_credentials\n&scope=A+B"}},
	}}
	if !reflect.DeepEqual(post.RequestBodies, wantReq) {
		t.Errorf("request body\n%+v\nwant\n%+v", post.RequestBodies, wantReq)
	}

	// A component body points at the Schemas section; examples keep the document's order.
	wantResp := []apiref.Response{{
		Status: "200", StatusText: "OK", DescriptionHTML: "The token.",
		Headers: []apiref.Field{{Name: "Cache-Control", Type: "string", Required: true, DescriptionHTML: "Never cached."}},
		Bodies: []apiref.Body{{MediaType: "application/json", SchemaName: "Token", SchemaID: "schema-token",
			Examples: []apiref.Example{
				{Name: "Shown first", Body: "{\n  \"access_token\": \"x\"\n}"},
				{Name: "first", Body: "{\n  \"access_token\": \"y\"\n}"},
			}}},
	}}
	if !reflect.DeepEqual(post.Responses, wantResp) {
		t.Errorf("responses\n%+v\nwant\n%+v", post.Responses, wantResp)
	}

	wantText := []apiref.Body{{MediaType: "text/plain", Type: "string", SchemaHTML: "A sentence.",
		Examples: []apiref.Example{{Name: "Example", Body: "not found"}}}}
	if got := ref.Groups[1].Operations[0].Responses[0]; got.StatusText != "Not Found" || !reflect.DeepEqual(got.Bodies, wantText) {
		t.Errorf("text response %s\n%+v\nwant\n%+v", got.StatusText, got.Bodies, wantText)
	}
}

func TestAPIReferenceSchemas(t *testing.T) {
	ref := mustReference(t)
	var names []string
	for _, s := range ref.Schemas {
		names = append(names, s.ID+":"+s.Name+":"+s.Type)
	}
	if want := []string{"schema-token:Token:object", "schema-issuer:Issuer:object"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("schemas %v, want %v (the document's order)", names, want)
	}
	// Nested objects flatten as parent.child, array items as parent[].child; a property that is a
	// component is named, not expanded.
	want := []apiref.Field{
		{Name: "access_token", Type: "string"},
		{Name: "expires_at", Type: "string (date-time)"},
		{Name: "scopes", Type: "string or array of string"},
		{Name: "owner", Type: "object"},
		{Name: "owner.id", Type: "string or null", DescriptionHTML: "Pattern <code>^u_</code>."},
		{Name: "grants", Type: "array of object"},
		{Name: "grants[].name", Type: "string", Required: true},
		{Name: "issuer", Type: "Issuer"},
	}
	if got := ref.Schemas[0].Fields; !reflect.DeepEqual(got, want) {
		t.Errorf("fields\n%+v\nwant\n%+v", got, want)
	}
	if got := ref.Schemas[0].DescriptionHTML; got != "An access token." {
		t.Errorf("schema description %q", got)
	}
}

func TestAPIReferenceRejectsABrokenDocument(t *testing.T) {
	if _, err := APIReference([]byte("openapi: [")); err == nil {
		t.Error("a document that is not YAML was accepted")
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{"POST /oauth/tokens": "post-oauth-tokens", "  Client credentials! ": "client-credentials", "a__b": "a-b"} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
