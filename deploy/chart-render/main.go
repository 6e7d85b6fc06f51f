// Command chart-render renders and checks the Helm chart without the helm binary.
//
//	chart-render render [-f values.yaml]... [--release NAME] CHART   print the manifests (like `helm template`)
//	chart-render check CHART                                         run the chart's scenarios; exit 1 on a problem
//
// Build it in GOPATH mode against Debian's Go packages: see check.sh.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "render":
		os.Exit(renderCommand(os.Args[2:]))
	case "check":
		os.Exit(checkCommand(os.Args[2:]))
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: chart-render render [-f values.yaml]... [--release NAME] CHART | chart-render check CHART")
	os.Exit(2)
}

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

func renderCommand(args []string) int {
	flags := flag.NewFlagSet("render", flag.ExitOnError)
	var files fileList
	flags.Var(&files, "f", "values file laid over values.yaml (repeatable)")
	release := flags.String("release", "platform", "release name")
	namespace := flags.String("namespace", "default", "release namespace")
	_ = flags.Parse(args)
	if flags.NArg() != 1 {
		usage()
	}
	chart, err := LoadChart(flags.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	values := chart.Values
	for _, file := range files {
		var override map[string]interface{}
		if err := readYAML(file, &override); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		values = MergeValues(values, override)
	}
	if problems, err := ValidateValues(chart.Schema, values); err != nil || len(problems) > 0 {
		fmt.Fprintln(os.Stderr, "values do not match values.schema.json:", err)
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "  "+p)
		}
		return 1
	}
	rendered, err := Render(chart, values, Release{Name: *release, Namespace: *namespace, IsInstall: true, Revision: 1, Service: "Helm"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, doc := range rendered.Documents() {
		fmt.Printf("---\n# Source: %s\n%s\n", doc.Source, strings.TrimSpace(doc.Text))
	}
	return 0
}

func checkCommand(args []string) int {
	if len(args) != 1 {
		usage()
	}
	chart, err := LoadChart(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if chart.Schema == nil {
		fmt.Fprintln(os.Stderr, "values.schema.json is missing")
		return 1
	}
	failed := 0
	for _, scenario := range scenarios {
		problems := runScenario(chart, scenario)
		if len(problems) == 0 {
			fmt.Printf("ok    %s\n", scenario.Name)
			continue
		}
		failed++
		fmt.Printf("FAIL  %s\n", scenario.Name)
		for _, p := range problems {
			fmt.Printf("        %s\n", strings.ReplaceAll(p, "\n", "\n        "))
		}
	}
	fmt.Printf("chart %s: %d scenarios, %d failed\n", chart.Dir, len(scenarios), failed)
	if failed > 0 {
		return 1
	}
	return 0
}

func runScenario(chart *Chart, s Scenario) []string {
	values := MergeValues(chart.Values, s.Values)
	schemaProblems, err := ValidateValues(chart.Schema, values)
	if err != nil {
		return []string{err.Error()}
	}
	if s.SchemaError != "" {
		for _, p := range schemaProblems {
			if strings.Contains(p, s.SchemaError) {
				return nil
			}
		}
		return []string{fmt.Sprintf("values.schema.json accepted values it should reject (want a problem mentioning %q, got %v)", s.SchemaError, schemaProblems)}
	}
	if len(schemaProblems) > 0 {
		return append([]string{"values do not match values.schema.json:"}, schemaProblems...)
	}
	release := s.Release
	if release == "" {
		release = "demo"
	}
	rendered, err := Render(chart, values, Release{Name: release, Namespace: "ml", IsInstall: true, Revision: 1, Service: "Helm"})
	if s.RenderError != "" {
		if err == nil || !strings.Contains(err.Error(), s.RenderError) {
			return []string{fmt.Sprintf("want a render error mentioning %q, got %v", s.RenderError, err)}
		}
		return nil
	}
	if err != nil {
		return []string{"render: " + err.Error()}
	}
	if strings.TrimSpace(rendered.Notes) == "" {
		return []string{"NOTES.txt rendered empty"}
	}
	objects, problems := ParseObjects(rendered.Documents())
	for _, p := range CheckObjects(objects) {
		if s.Tolerate == "" || !strings.Contains(p, s.Tolerate) {
			problems = append(problems, p)
		}
	}
	for kind, want := range s.Kinds {
		if got := Count(objects, kind); got != want {
			problems = append(problems, fmt.Sprintf("%d %s objects, want %d", got, kind, want))
		}
	}
	if s.SecretRefs != nil {
		got := SecretRefs(objects)
		want := append([]string(nil), s.SecretRefs...)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			problems = append(problems, fmt.Sprintf("workloads read Secrets %v, want %v", got, want))
		}
	}
	if s.Extra != nil {
		problems = append(problems, s.Extra(objects, rendered)...)
	}
	return problems
}
