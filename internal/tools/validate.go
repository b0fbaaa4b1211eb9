package tools

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// The registry checks every call's arguments against the tool's input
// schema before the handler runs, so a model gets one invalid_argument
// result whose sentences name each parameter, what was wrong and what is
// valid ("limit must be an integer from 1 to 100; got 0").
//
// This is a small validator for the subset of JSON Schema the tools
// publish (type, properties, required, additionalProperties, items,
// anyOf, enum, minimum/maximum, minLength/maxLength, minItems/maxItems),
// rather than a general one such as santhosh-tekuri/jsonschema (which
// mcp-go uses): a general validator reports leaf errors ("/limit:
// minimum: got 0, want 1") without the rest of the constraint, and cannot
// coerce, while the words must describe the whole valid range and numbers
// sent as strings ("5", as small models do) must be accepted where the
// schema says integer or number. TestSchemaKeywordsAreValidated fails if a
// tool publishes a keyword this validator does not check.

// schemaNode is one (sub)schema as published, decoded from JSON.
type schemaNode = map[string]any

// checked lists the keywords checkValue enforces; the others it knows are
// annotations only.
var (
	checkedKeywords    = []string{"type", "properties", "required", "additionalProperties", "items", "anyOf", "enum", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems"}
	annotationKeywords = []string{"description", "default", "title"}
)

// inputSchema returns the published input schema of m as a generic node.
func inputSchema(m mcp.Tool) schemaNode {
	var b []byte
	var err error
	if len(m.RawInputSchema) > 0 {
		b = m.RawInputSchema
	} else if b, err = json.Marshal(m.InputSchema); err != nil {
		panic(fmt.Sprintf("tool %s: input schema: %v", m.Name, err))
	}
	var n schemaNode
	if err := json.Unmarshal(b, &n); err != nil {
		panic(fmt.Sprintf("tool %s: input schema: %v", m.Name, err))
	}
	return n
}

// checkArgs coerces args in place (numbers and booleans sent as strings)
// and checks them against schema; it returns an invalid_argument fault
// naming every problem, or nil.
func checkArgs(schema schemaNode, args map[string]any) error {
	var problems []string
	props, _ := schema["properties"].(map[string]any)
	for _, name := range sortedKeys(args) {
		p, ok := props[name].(schemaNode)
		if !ok {
			if ap, _ := schema["additionalProperties"].(bool); !ap {
				problems = append(problems, fmt.Sprintf("unknown parameter %q; this tool takes %s", name, strings.Join(sortedKeys(props), ", ")))
			}
			continue
		}
		if args[name] == nil {
			// Some clients send null for an omitted optional parameter.
			delete(args, name)
			continue
		}
		v, problem := checkValue(name, p, args[name])
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		args[name] = v
	}
	for _, name := range stringList(schema["required"]) {
		if _, ok := args[name]; !ok {
			problems = append(problems, name+" is required")
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fault.New(fault.Invalid, "arguments", strings.Join(problems, "; "))
}

// checkValue checks v against s and returns v, coerced where the schema
// asks for a number or boolean and v is a string spelling one; or a
// sentence saying what is wrong with the value at path.
func checkValue(path string, s schemaNode, v any) (any, string) {
	if branches, ok := s["anyOf"].([]any); ok {
		for _, b := range branches {
			if bn, ok := b.(schemaNode); ok {
				if cv, problem := checkValue(path, bn, v); problem == "" {
					return cv, ""
				}
			}
		}
		var alts []string
		for _, b := range branches {
			if bn, ok := b.(schemaNode); ok {
				alts = append(alts, describe(bn))
			}
		}
		return v, fmt.Sprintf("%s must be %s; got %s", path, strings.Join(alts, ", or "), shown(v))
	}
	v = coerce(s, v)
	if !typeMatches(s, v) {
		return v, fmt.Sprintf("%s must be %s; got %s", path, describe(s), shown(v))
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		return v, fmt.Sprintf("%s must be %s; got %s", path, describe(s), shown(v))
	}
	switch v := v.(type) {
	case float64:
		if lo, ok := number(s["minimum"]); ok && v < lo {
			return v, fmt.Sprintf("%s must be %s; got %s", path, describe(s), shown(v))
		}
		if hi, ok := number(s["maximum"]); ok && v > hi {
			return v, fmt.Sprintf("%s must be %s; got %s", path, describe(s), shown(v))
		}
	case string:
		n := float64(utf8.RuneCountInString(v))
		lo, okLo := number(s["minLength"])
		hi, okHi := number(s["maxLength"])
		if okLo && n < lo || okHi && n > hi {
			return v, fmt.Sprintf("%s must be %s; got %d characters", path, describe(s), int(n))
		}
	case []any:
		n := float64(len(v))
		lo, okLo := number(s["minItems"])
		hi, okHi := number(s["maxItems"])
		if okLo && n < lo || okHi && n > hi {
			got := fmt.Sprintf("%d items", len(v))
			if len(v) == 0 {
				got = "an empty list"
			}
			return v, fmt.Sprintf("%s must be %s; got %s", path, describe(s), got)
		}
		if items, ok := s["items"].(schemaNode); ok {
			out := make([]any, len(v))
			for i, x := range v {
				cv, problem := checkValue(fmt.Sprintf("%s[%d]", path, i), items, x)
				if problem != "" {
					return v, problem
				}
				out[i] = cv
			}
			return out, ""
		}
	case map[string]any:
		if _, ok := s["properties"]; ok {
			if err := checkArgs(s, v); err != nil {
				return v, path + ": " + fault.As(err).Message()
			}
		}
	}
	return v, ""
}

// coerce turns a string spelling a number or boolean into one where the
// schema asks for that type (small models send "5" for 5).
func coerce(s schemaNode, v any) any {
	str, ok := v.(string)
	if !ok {
		return v
	}
	types := stringList(s["type"])
	str = strings.TrimSpace(str)
	if slices.Contains(types, "integer") || slices.Contains(types, "number") {
		if f, err := strconv.ParseFloat(str, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	if slices.Contains(types, "boolean") {
		switch strings.ToLower(str) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return v
}

func typeMatches(s schemaNode, v any) bool {
	types := stringList(s["type"])
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		switch x := v.(type) {
		case nil:
			if t == "null" {
				return true
			}
		case string:
			if t == "string" {
				return true
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case float64:
			if t == "number" || t == "integer" && x == math.Trunc(x) {
				return true
			}
		case []any:
			if t == "array" {
				return true
			}
		case map[string]any:
			if t == "object" {
				return true
			}
		}
	}
	return false
}

// describe words what a schema accepts: "an integer from 1 to 100",
// "a string of at most 998 characters", "a list of 1 to 50 strings".
func describe(s schemaNode) string {
	if enum, ok := s["enum"].([]any); ok {
		var vals []string
		for _, e := range enum {
			vals = append(vals, shown(e))
		}
		return "one of " + strings.Join(vals, ", ")
	}
	types := stringList(s["type"])
	types = slices.DeleteFunc(slices.Clone(types), func(t string) bool { return t == "null" })
	if len(types) != 1 {
		return "a value of type " + strings.Join(types, " or ")
	}
	switch t := types[0]; t {
	case "integer", "number":
		noun := "an integer"
		if t == "number" {
			noun = "a number"
		}
		return noun + bounds(s, "minimum", "maximum", "")
	case "string":
		return "a string" + bounds(s, "minLength", "maxLength", " characters")
	case "boolean":
		return "true or false"
	case "array":
		item := "values"
		if items, ok := s["items"].(schemaNode); ok {
			item = plural(describe(items))
		}
		lo, okLo := number(s["minItems"])
		hi, okHi := number(s["maxItems"])
		switch {
		case okLo && okHi:
			return fmt.Sprintf("a list of %s to %s %s", num(lo), num(hi), item)
		case okLo && lo == 1:
			return "a non-empty list of " + item
		case okLo:
			return fmt.Sprintf("a list of at least %s %s", num(lo), item)
		case okHi:
			return fmt.Sprintf("a list of at most %s %s", num(hi), item)
		}
		return "a list of " + item
	case "object":
		if req := stringList(s["required"]); len(req) > 0 {
			return "an object with " + strings.Join(req, " and ")
		}
		return "an object"
	}
	return "a " + types[0]
}

// bounds words a range: " from 1 to 100", " of 1 to 64 characters",
// " of at least 1", " of at most 5 characters".
func bounds(s schemaNode, minKey, maxKey, unit string) string {
	lo, okLo := number(s[minKey])
	hi, okHi := number(s[maxKey])
	switch {
	case okLo && okHi && unit != "":
		return fmt.Sprintf(" of %s to %s%s", num(lo), num(hi), unit)
	case okLo && okHi:
		return fmt.Sprintf(" from %s to %s", num(lo), num(hi))
	case okLo:
		return fmt.Sprintf(" of at least %s%s", num(lo), unit)
	case okHi:
		return fmt.Sprintf(" of at most %s%s", num(hi), unit)
	}
	return ""
}

// plural turns "a string of at most 998 characters" into "strings of at
// most 998 characters" for use after "a list of".
func plural(desc string) string {
	for _, art := range []string{"an ", "a "} {
		if rest, ok := strings.CutPrefix(desc, art); ok {
			word, tail, _ := strings.Cut(rest, " ")
			if tail != "" {
				tail = " " + tail
			}
			return word + "s" + tail
		}
	}
	return desc
}

func number(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// shown renders a value the caller sent, bounded so a huge argument does
// not flood the error.
func shown(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(truncateRunes(v, 40))
	case float64:
		return num(v)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprint(v)
}

// stringList reads a JSON string or list of strings.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
