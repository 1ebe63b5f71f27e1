package render

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/devportal/devportal/docs/apiref"
)

// APIReference turns an OpenAPI document into the reference page's view: operations grouped
// by their first tag, in the order of the document's tags, paths and fields.
func APIReference(spec []byte) (*apiref.Reference, error) {
	loader := openapi3.NewLoader()
	loader.IncludeOrigin = true // to keep the document's order, which Go maps lose
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("docs/openapi.yaml: %w", err)
	}
	v := &apiref.Reference{Title: doc.Info.Title, Version: doc.Info.Version}
	if v.DescriptionHTML, err = Markdown(doc.Info.Description); err != nil {
		return nil, err
	}
	groups := map[string]*apiref.Group{}
	var order []string
	for _, tag := range doc.Tags {
		groups[tag.Name] = &apiref.Group{ID: slug(tag.Name), Name: tag.Name, DescriptionHTML: Inline(tag.Description)}
		order = append(order, tag.Name)
	}
	paths := doc.Paths.InMatchingOrder()
	sort.SliceStable(paths, func(i, j int) bool {
		return line(doc.Paths.Value(paths[i]).Origin) < line(doc.Paths.Value(paths[j]).Origin)
	})
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			g, ok := groups[tag]
			if !ok {
				g = &apiref.Group{ID: slug(tag), Name: tag}
				groups[tag] = g
				order = append(order, tag)
			}
			o, err := apiOperation(doc, method, path, item, op)
			if err != nil {
				return nil, err
			}
			g.Operations = append(g.Operations, o)
		}
	}
	for _, name := range order {
		if len(groups[name].Operations) > 0 {
			v.Groups = append(v.Groups, *groups[name])
		}
	}
	names := sortedKeys(doc.Components.Schemas)
	sort.SliceStable(names, func(i, j int) bool {
		return propertyLine(doc.Components.Schemas[names[i]]) < propertyLine(doc.Components.Schemas[names[j]])
	})
	for _, name := range names {
		ref := doc.Components.Schemas[name]
		v.Schemas = append(v.Schemas, apiref.Schema{ID: schemaID(name), Name: name, Type: typeLabel(ref),
			DescriptionHTML: Inline(descriptionOf(ref)), Fields: schemaFields("", ref, 0)})
	}
	return v, nil
}

// schemaID is the anchor of a component schema on the reference page.
func schemaID(name string) string { return "schema-" + slug(name) }

func apiOperation(doc *openapi3.T, method, path string, item *openapi3.PathItem, op *openapi3.Operation) (apiref.Operation, error) {
	o := apiref.Operation{ID: slug(method + " " + path), Method: method, Path: path, Summary: op.Summary}
	var err error
	if o.DescriptionHTML, err = Markdown(op.Description); err != nil {
		return o, err
	}
	security := doc.Security
	if op.Security != nil {
		security = *op.Security
	}
	for _, req := range security {
		if len(req) == 0 {
			o.Security = append(o.Security, "none")
			continue
		}
		for _, name := range sortedKeys(req) {
			label := name
			if scopes := req[name]; len(scopes) > 0 {
				label += " with " + strings.Join(scopes, ", ")
			}
			o.Security = append(o.Security, label)
		}
	}
	for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
		if p.Value == nil {
			continue
		}
		o.Parameters = append(o.Parameters, apiref.Field{
			Name: p.Value.Name, In: p.Value.In, Required: p.Value.Required,
			Type: typeLabel(p.Value.Schema), DescriptionHTML: Inline(p.Value.Description + constraints(p.Value.Schema)),
		})
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		o.RequestBodies = apiBodies(op.RequestBody.Value.Content)
	}
	if op.Responses != nil {
		statuses := sortedKeys(op.Responses.Map())
		for _, status := range statuses {
			ref := op.Responses.Value(status)
			if ref == nil || ref.Value == nil {
				continue
			}
			r := apiref.Response{Status: status, StatusText: http.StatusText(atoi(status))}
			if ref.Value.Description != nil {
				r.DescriptionHTML = Inline(*ref.Value.Description)
			}
			for _, name := range sortedKeys(ref.Value.Headers) {
				hdr := ref.Value.Headers[name].Value
				if hdr == nil {
					continue
				}
				r.Headers = append(r.Headers, apiref.Field{Name: name, Required: hdr.Required, Type: typeLabel(hdr.Schema),
					DescriptionHTML: Inline(hdr.Description + constraints(hdr.Schema))})
			}
			r.Bodies = apiBodies(ref.Value.Content)
			o.Responses = append(o.Responses, r)
		}
	}
	return o, nil
}

func apiBodies(content openapi3.Content) []apiref.Body {
	var out []apiref.Body
	for _, mt := range sortedKeys(content) {
		media := content[mt]
		b := apiref.Body{MediaType: mt}
		if media.Schema != nil {
			// A component is described once, in the page's Schemas section; an inline schema here.
			if b.SchemaName = refName(media.Schema.Ref); b.SchemaName != "" {
				b.SchemaID = schemaID(b.SchemaName)
			} else {
				b.Type = typeLabel(media.Schema)
				b.SchemaHTML = Inline(descriptionOf(media.Schema))
				b.Fields = schemaFields("", media.Schema, 0)
			}
		}
		names := sortedKeys(media.Examples)
		sort.SliceStable(names, func(i, j int) bool {
			return line(media.Examples[names[i]].Origin) < line(media.Examples[names[j]].Origin)
		})
		for _, name := range names {
			ex := media.Examples[name]
			if ex == nil || ex.Value == nil {
				continue
			}
			b.Examples = append(b.Examples, apiref.Example{Name: cmp.Or(ex.Value.Summary, name), Body: exampleText(mt, ex.Value.Value)})
		}
		if len(b.Examples) == 0 && media.Example != nil {
			b.Examples = append(b.Examples, apiref.Example{Name: "Example", Body: exampleText(mt, media.Example)})
		}
		out = append(out, b)
	}
	return out
}

// schemaFields flattens an object schema into rows: nested objects as parent.child, array items
// as parent[].child.
func schemaFields(prefix string, ref *openapi3.SchemaRef, depth int) []apiref.Field {
	if ref == nil || ref.Value == nil || depth > 3 {
		return nil
	}
	s := ref.Value
	names := sortedKeys(s.Properties)
	sort.SliceStable(names, func(i, j int) bool {
		return propertyLine(s.Properties[names[i]]) < propertyLine(s.Properties[names[j]])
	})
	var out []apiref.Field
	for _, name := range names {
		p := s.Properties[name]
		out = append(out, apiref.Field{Name: prefix + name, Required: slices.Contains(s.Required, name), Type: typeLabel(p),
			DescriptionHTML: Inline(descriptionOf(p) + constraints(p))})
		if p.Value == nil || refName(p.Ref) != "" {
			continue // a component: described in its own right
		}
		switch {
		case len(p.Value.Properties) > 0:
			out = append(out, schemaFields(prefix+name+".", p, depth+1)...)
		case p.Value.Items != nil && p.Value.Items.Value != nil && refName(p.Value.Items.Ref) == "" && len(p.Value.Items.Value.Properties) > 0:
			out = append(out, schemaFields(prefix+name+"[].", p.Value.Items, depth+1)...)
		}
	}
	return out
}

func descriptionOf(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return ""
	}
	return ref.Value.Description
}

// typeLabel names a schema's type for people: "string (date-time)", "array of string",
// "string or array of string", or the component it refers to.
func typeLabel(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return ""
	}
	s := ref.Value
	if name := refName(ref.Ref); name != "" && len(s.Properties) > 0 {
		return name
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		var alts []string
		for _, a := range append(slices.Clone(s.OneOf), s.AnyOf...) {
			alts = append(alts, typeLabel(a))
		}
		return strings.Join(alts, " or ")
	}
	var types []string
	if s.Type != nil {
		types = s.Type.Slice()
	}
	label := strings.Join(types, " or ")
	if slices.Contains(types, "array") && s.Items != nil {
		label = strings.Replace(label, "array", "array of "+typeLabel(s.Items), 1)
	}
	if s.Format != "" {
		label += " (" + s.Format + ")"
	}
	return label
}

// constraints describes a schema's enum, pattern, bounds and default in words.
func constraints(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return ""
	}
	s := ref.Value
	var parts []string
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			vals = append(vals, fmt.Sprintf("`%v`", e))
		}
		parts = append(parts, "One of "+strings.Join(vals, ", ")+".")
	}
	if s.Pattern != "" {
		parts = append(parts, "Pattern `"+s.Pattern+"`.")
	}
	if s.Min != nil && s.Max != nil {
		parts = append(parts, fmt.Sprintf("From %v to %v.", *s.Min, *s.Max))
	} else if s.Min != nil {
		parts = append(parts, fmt.Sprintf("At least %v.", *s.Min))
	}
	if s.MaxLength != nil {
		parts = append(parts, fmt.Sprintf("At most %d characters.", *s.MaxLength))
	}
	if s.Default != nil {
		parts = append(parts, fmt.Sprintf("Default `%v`.", s.Default))
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " ")
}

// exampleText shows an example as the wire would carry it: indented JSON, a form, or text.
func exampleText(mediaType string, v any) string {
	switch {
	case mediaType == "application/x-www-form-urlencoded":
		if m, ok := v.(map[string]any); ok {
			form := url.Values{}
			for k, val := range m {
				form.Set(k, fmt.Sprint(val))
			}
			return strings.ReplaceAll(form.Encode(), "&", "\n&")
		}
	case strings.HasPrefix(mediaType, "text/"):
		if s, ok := v.(string); ok {
			return s
		}
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func refName(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ""
}

func line(o *openapi3.Origin) int {
	if o == nil || o.Key == nil {
		return 0
	}
	return o.Key.Line
}

func propertyLine(ref *openapi3.SchemaRef) int {
	if ref == nil {
		return 0
	}
	if ref.Origin != nil {
		return line(ref.Origin)
	}
	if ref.Value != nil {
		return line(ref.Value.Origin)
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes an id for a heading: "POST /oauth/tokens" is "post-oauth-tokens".
func slug(s string) string {
	return strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int(r-'0')
	}
	return n
}
