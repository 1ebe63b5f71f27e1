// Package apiref holds the API reference as the portal shows it: docs/openapi.yaml flattened into
// groups, operations and fields. The generator under docs/internal writes it as JSON and the
// reference page reads it, so this package imports nothing and neither side drags the other's
// dependencies along.
package apiref

// Reference is the whole API reference page, built from docs/openapi.yaml.
type Reference struct {
	Title           string
	Version         string
	DescriptionHTML string
	Groups          []Group
	Schemas         []Schema
}

// Schema is a named schema of the document's components.
type Schema struct {
	ID, Name, Type  string
	DescriptionHTML string
	Fields          []Field
}

// Group is the operations of one tag.
type Group struct {
	ID, Name        string
	DescriptionHTML string
	Operations      []Operation
}

// Operation is one method on one path.
type Operation struct {
	ID              string // anchor, e.g. post-oauth-tokens
	Method, Path    string
	Summary         string
	DescriptionHTML string
	Security        []string // security scheme names, "none" for an empty requirement
	Parameters      []Field
	RequestBodies   []Body
	Responses       []Response
}

// Field is a parameter, header or schema property.
type Field struct {
	Name            string
	In              string // for parameters: query, header, path
	Type            string
	Required        bool
	DescriptionHTML string
}

// Body is a request or response body of one media type.
type Body struct {
	MediaType  string
	SchemaName string // a component schema, described in the Schemas section
	SchemaID   string
	Type       string // an inline schema: its type, description and fields
	SchemaHTML string
	Fields     []Field
	Examples   []Example
}

// Example is a named example, as it travels.
type Example struct{ Name, Body string }

// Response is one documented status of an operation.
type Response struct {
	Status, StatusText string
	DescriptionHTML    string
	Headers            []Field
	Bodies             []Body
}
