package report

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/pkgdriver/pkgdriver/internal/fsutil"
)

// JUnit XML, the common subset Jenkins, GitLab and GitHub read: one suite per stage, one test
// case per recipe, failure text and log tail inside.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       float64          `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

// junitProperties say which runner ran a suite, and on which node a case ran (Kubernetes).
type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// properties is one property, or none when value is empty.
func properties(name, value string) *junitProperties {
	if value == "" {
		return nil
	}
	return &junitProperties{Property: []junitProperty{{Name: name, Value: value}}}
}

type junitCase struct {
	Name      string  `xml:"name,attr"`
	Classname string  `xml:"classname,attr"`
	Time      float64 `xml:"time,attr"`
	// Properties name the node that ran the case, on a cluster.
	Properties *junitProperties `xml:"properties,omitempty"`
	Failure    *junitMessage    `xml:"failure,omitempty"`
	Skipped    *junitMessage    `xml:"skipped,omitempty"`
	SystemOut  string           `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes rep as junit.xml at path, atomically.
func WriteJUnit(path string, rep *Report) error {
	data, err := renderJUnit(rep)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, data, 0o644)
}

// renderJUnit is the junit.xml of rep. Each case's outcome is its status's Verdict, and each
// suite's numbers come from rep.Counts(), as the summary's and report.html's do.
func renderJUnit(rep *Report) ([]byte, error) {
	c := rep.Counts()
	build := junitSuite{Name: "pkgdriver.build", Properties: properties("runner", rep.Runner)}
	build.setCounts(c.BuildSuite())
	test := junitSuite{Name: "pkgdriver.test", Properties: properties("runner", rep.Runner)}
	test.setCounts(c.TestSuite())
	for _, r := range rep.Recipes {
		if r.Status != StatusNotBuilt {
			c := junitCase{Name: r.Name, Classname: build.Name, Time: r.Duration, Properties: properties("node", r.Node)}
			switch r.Status.Verdict() {
			case Passed:
			case Skipped:
				c.Skipped = &junitMessage{Message: string(r.Status)}
			case Failure:
				c.Failure = failureMessage(string(r.Status), r.Error, r.Log, r.LogTail)
			}
			build.add(c)
		}
		if t := r.Test; t != nil {
			c := junitCase{Name: r.Name, Classname: test.Name, Time: t.Duration, Properties: properties("node", t.Node)}
			switch t.Status.Verdict() {
			case Passed:
			case Skipped:
				c.Skipped = &junitMessage{Message: string(t.Status) + ": " + t.Reason}
			case Failure:
				c.Failure = failureMessage(string(t.Status), t.Error, t.Log, t.LogTail)
			}
			test.add(c)
		}
	}
	data, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{build, test}}, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(data, '\n')...), nil
}

func (s *junitSuite) setCounts(c Suite) {
	s.Tests, s.Failures, s.Skipped = c.Tests, c.Failures, c.Skipped
}

// add appends a case and adds up the suite's time.
func (s *junitSuite) add(c junitCase) {
	s.Cases = append(s.Cases, c)
	s.Time += c.Time
}

func failureMessage(status, msg, log string, tail []string) *junitMessage {
	first, _, _ := strings.Cut(msg, "\n")
	return &junitMessage{Message: status + ": " + first, Type: status, Text: failureText(msg, log, tail)}
}

func failureText(msg, log string, tail []string) string {
	var b strings.Builder
	b.WriteString(msg)
	if len(tail) > 0 {
		fmt.Fprintf(&b, "\n\nlast lines of %s:\n%s", log, strings.Join(tail, "\n"))
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}
