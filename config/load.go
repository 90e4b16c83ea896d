package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the YAML file at path over Default() and validates the result.
// A key given with no value keeps its default. Every problem found is
// reported, each on its own line, as
//
//	config vigie.yaml: line 12: unknown key "listne"
//	config vigie.yaml: line 3: listen: expected a string
//	config vigie.yaml: links.ttl: must be positive
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Config{}, fmt.Errorf("config %s: cannot read: %w", path, err)
	}
	cfg, problems := parse(data)
	if len(problems) == 0 {
		problems = cfg.problems()
	}
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = fmt.Errorf("config %s: %s", path, p)
		}
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// parse decodes data over Default(), returning problems as text with line
// numbers and key paths.
func parse(data []byte) (Config, []string) {
	cfg := Default()
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && err != io.EOF {
		return cfg, []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if err := dec.Decode(new(yaml.Node)); err != io.EOF {
		return cfg, []string{"only one YAML document is allowed"}
	}
	if root.Kind == 0 { // empty file
		return cfg, nil
	}
	if problems := checkNode(root.Content[0], reflect.TypeFor[Config](), ""); len(problems) > 0 {
		return cfg, problems
	}
	if err := root.Decode(&cfg); err != nil {
		return cfg, []string{decodeMessage(err)}
	}
	return cfg, nil
}

// decodeMessage flattens a yaml.v3 decoding error, in case one gets past
// checkNode.
func decodeMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// checkNode compares the YAML tree n with the Go type t that it will be
// decoded into. key is the dotted path of n, "" for the document itself.
// Keys whose value is null are removed, so that they keep their default.
func checkNode(n *yaml.Node, t reflect.Type, key string) []string {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch {
	case t == reflect.TypeFor[Duration]():
		if _, err := parseDuration(n); err != nil {
			return []string{at(n, key, err.Error())}
		}
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return []string{at(n, key, "expected a string")}
		}
	case t.Kind() == reflect.Slice:
		return checkSequence(n, t, key)
	case t.Kind() == reflect.Struct:
		return checkMapping(n, t, key)
	}
	return nil
}

func checkSequence(n *yaml.Node, t reflect.Type, key string) []string {
	if n.Kind != yaml.SequenceNode {
		return []string{at(n, key, "expected a list")}
	}
	var problems []string
	for i, item := range n.Content {
		problems = append(problems, checkNode(item, t.Elem(), fmt.Sprintf("%s[%d]", key, i))...)
	}
	return problems
}

func checkMapping(n *yaml.Node, t reflect.Type, key string) []string {
	if n.Kind != yaml.MappingNode {
		return []string{at(n, key, "expected keys and values")}
	}
	fields := yamlFields(t)
	firstLine := map[string]int{}
	var problems []string
	kept := make([]*yaml.Node, 0, len(n.Content))
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := joinKey(key, k.Value)
		ft, known := fields[k.Value]
		switch {
		case !known:
			problems = append(problems, at(k, "", fmt.Sprintf("unknown key %q", name)))
		case firstLine[k.Value] > 0:
			problems = append(problems, at(k, "", fmt.Sprintf("key %q already set at line %d", name, firstLine[k.Value])))
		case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
			firstLine[k.Value] = k.Line
		default:
			firstLine[k.Value] = k.Line
			problems = append(problems, checkNode(v, ft, name)...)
			kept = append(kept, k, v)
		}
	}
	n.Content = kept
	return problems
}

// yamlFields maps the YAML key of each field of struct type t to its type.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	fields := make(map[string]reflect.Type, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = f.Type
		}
	}
	return fields
}

func joinKey(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// at formats a problem found at node n, under key when there is one.
func at(n *yaml.Node, key, msg string) string {
	if key == "" {
		return fmt.Sprintf("line %d: %s", n.Line, msg)
	}
	return fmt.Sprintf("line %d: %s: %s", n.Line, key, msg)
}
