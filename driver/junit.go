package driver

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
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func writeJUnit(path string, rep *Report) error {
	build := junitSuite{Name: "pkgdriver.build"}
	test := junitSuite{Name: "pkgdriver.test"}
	for _, r := range rep.Recipes {
		if r.Status != StatusNotBuilt {
			c := junitCase{Name: r.Name, Classname: build.Name, Time: r.Duration}
			switch r.Status {
			case StatusBuilt, StatusCached:
			case StatusQueued, StatusCancelled, StatusNotStarted:
				c.Skipped = &junitMessage{Message: string(r.Status)}
			default:
				c.Failure = failureMessage(string(r.Status), r.Error, r.Log, r.LogTail)
			}
			build.add(c)
		}
		if t := r.Test; t != nil {
			c := junitCase{Name: r.Name, Classname: test.Name, Time: t.Duration}
			switch t.Status {
			case TestPassed, TestCached:
			case TestUntested, TestSkipped, TestCancelled:
				c.Skipped = &junitMessage{Message: string(t.Status) + ": " + t.Reason}
			default:
				c.Failure = failureMessage(string(t.Status), t.Error, t.Log, t.LogTail)
			}
			test.add(c)
		}
	}
	data, err := xml.MarshalIndent(junitSuites{Suites: []junitSuite{build, test}}, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(path, append([]byte(xml.Header), append(data, '\n')...), 0o644)
}

// add appends a case and keeps the suite's counts.
func (s *junitSuite) add(c junitCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	s.Time += c.Time
	if c.Failure != nil {
		s.Failures++
	}
	if c.Skipped != nil {
		s.Skipped++
	}
}

func failureMessage(status, msg, log string, tail []string) *junitMessage {
	return &junitMessage{Message: status + ": " + firstLine(msg), Type: status, Text: failureText(msg, log, tail)}
}

func failureText(msg, log string, tail []string) string {
	var b strings.Builder
	b.WriteString(msg)
	if len(tail) > 0 {
		fmt.Fprintf(&b, "\n\nlast lines of %s:\n%s", log, strings.Join(tail, "\n"))
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}
