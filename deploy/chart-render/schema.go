package main

// A JSON Schema (draft-07) validator for the keywords values.schema.json uses. A keyword it does not know is
// an error, so the schema cannot grow a rule that this check silently ignores.

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
)

var knownKeywords = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true, "definitions": true, "$ref": true,
	"type": true, "properties": true, "additionalProperties": true, "required": true, "enum": true,
	"minimum": true, "maximum": true, "minLength": true, "maxLength": true, "pattern": true,
	"items": true, "minItems": true, "maxItems": true, "default": true, "examples": true,
}

// ValidateValues checks values against a JSON schema and returns every violation, by path.
func ValidateValues(schemaJSON []byte, values map[string]interface{}) ([]string, error) {
	var schema map[string]interface{}
	if err := json.Unmarshal(schemaJSON, &schema); err != nil {
		return nil, fmt.Errorf("values.schema.json: %w", err)
	}
	// Compare as JSON data, as Helm does: integers become float64 like every JSON number.
	data, err := json.Marshal(values)
	if err != nil {
		return nil, err
	}
	var doc interface{}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	v := &validator{root: schema}
	v.validate(schema, doc, "")
	sort.Strings(v.problems)
	return v.problems, v.err
}

type validator struct {
	root     map[string]interface{}
	problems []string
	err      error
}

func (v *validator) fail(path, format string, args ...interface{}) {
	if path == "" {
		path = "(root)"
	}
	v.problems = append(v.problems, path+": "+fmt.Sprintf(format, args...))
}

func (v *validator) resolve(ref string) map[string]interface{} {
	if !strings.HasPrefix(ref, "#/") {
		v.err = fmt.Errorf("unsupported $ref %q (only local #/ references)", ref)
		return nil
	}
	var node interface{} = v.root
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := node.(map[string]interface{})
		if !ok {
			v.err = fmt.Errorf("$ref %q does not resolve", ref)
			return nil
		}
		node = m[part]
	}
	m, ok := node.(map[string]interface{})
	if !ok {
		v.err = fmt.Errorf("$ref %q does not resolve to a schema", ref)
	}
	return m
}

func (v *validator) validate(schema map[string]interface{}, value interface{}, path string) {
	for keyword := range schema {
		if !knownKeywords[keyword] {
			v.err = fmt.Errorf("schema at %q uses keyword %q, which this checker does not implement", path, keyword)
			return
		}
	}
	if ref, ok := schema["$ref"].(string); ok {
		if target := v.resolve(ref); target != nil {
			v.validate(target, value, path)
		}
		return
	}
	if types, ok := schema["type"]; ok && !matchesType(types, value) {
		v.fail(path, "is %s, want %v", jsonType(value), types)
		return
	}
	if enum, ok := schema["enum"].([]interface{}); ok {
		found := false
		for _, option := range enum {
			if fmt.Sprint(option) == fmt.Sprint(value) && jsonType(option) == jsonType(value) {
				found = true
			}
		}
		if !found {
			v.fail(path, "%v is not one of %v", value, enum)
		}
	}
	switch typed := value.(type) {
	case map[string]interface{}:
		v.validateObject(schema, typed, path)
	case []interface{}:
		if n, ok := schema["minItems"].(float64); ok && float64(len(typed)) < n {
			v.fail(path, "has %d items, want at least %v", len(typed), n)
		}
		if n, ok := schema["maxItems"].(float64); ok && float64(len(typed)) > n {
			v.fail(path, "has %d items, want at most %v", len(typed), n)
		}
		if items, ok := schema["items"].(map[string]interface{}); ok {
			for i, item := range typed {
				v.validate(items, item, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	case string:
		if n, ok := schema["minLength"].(float64); ok && float64(len([]rune(typed))) < n {
			v.fail(path, "%q is shorter than %v characters", typed, n)
		}
		if n, ok := schema["maxLength"].(float64); ok && float64(len([]rune(typed))) > n {
			v.fail(path, "%q is longer than %v characters", typed, n)
		}
		if pattern, ok := schema["pattern"].(string); ok {
			re, err := regexp.Compile(pattern)
			if err != nil {
				v.err = fmt.Errorf("schema at %q: bad pattern: %w", path, err)
			} else if !re.MatchString(typed) {
				v.fail(path, "%q does not match %s", typed, pattern)
			}
		}
	case float64:
		if n, ok := schema["minimum"].(float64); ok && typed < n {
			v.fail(path, "%v is less than %v", typed, n)
		}
		if n, ok := schema["maximum"].(float64); ok && typed > n {
			v.fail(path, "%v is more than %v", typed, n)
		}
	}
}

func (v *validator) validateObject(schema map[string]interface{}, object map[string]interface{}, path string) {
	properties, _ := schema["properties"].(map[string]interface{})
	if required, ok := schema["required"].([]interface{}); ok {
		for _, name := range required {
			if _, present := object[name.(string)]; !present {
				v.fail(path, "missing required key %q", name)
			}
		}
	}
	keys := make([]string, 0, len(object))
	for key := range object {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		child := strings.TrimPrefix(path+"."+key, ".")
		if property, ok := properties[key].(map[string]interface{}); ok {
			v.validate(property, object[key], child)
			continue
		}
		switch additional := schema["additionalProperties"].(type) {
		case bool:
			if !additional {
				v.fail(child, "unknown key (not in values.schema.json; misspelt?)")
			}
		case map[string]interface{}:
			v.validate(additional, object[key], child)
		}
	}
}

func matchesType(types interface{}, value interface{}) bool {
	switch t := types.(type) {
	case string:
		return typeMatches(t, value)
	case []interface{}:
		for _, option := range t {
			if typeMatches(option.(string), value) {
				return true
			}
		}
	}
	return false
}

func typeMatches(want string, value interface{}) bool {
	actual := jsonType(value)
	if want == "number" && actual == "integer" {
		return true
	}
	return want == actual
}

func jsonType(value interface{}) string {
	switch typed := value.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if typed == math.Trunc(typed) {
			return "integer"
		}
		return "number"
	case []interface{}:
		return "array"
	case map[string]interface{}:
		return "object"
	}
	return fmt.Sprintf("%T", value)
}
