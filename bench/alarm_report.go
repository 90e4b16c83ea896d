package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// alarmDistribution summarises durations with nearest-rank percentiles;
// zero when there are none.
func alarmDistribution(ds []time.Duration) AlarmDistribution {
	if len(ds) == 0 {
		return AlarmDistribution{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return AlarmDistribution{Min: s[0], Median: nearestRank(s, 50), P99: nearestRank(s, 99), Max: s[len(s)-1]}
}

// summarise fills the distributions from the samples.
func (r *AlarmResult) summarise() {
	var accepted, first, last []time.Duration
	for _, s := range r.Samples {
		accepted, first, last = append(accepted, s.Accepted), append(first, s.FirstMail), append(last, s.LastMail)
	}
	r.Accepted, r.FirstMail, r.LastMail = alarmDistribution(accepted), alarmDistribution(first), alarmDistribution(last)
}

// WriteTable writes the result as a table in milliseconds, the verdict
// against the objective, then the failures with their reasons.
func (r AlarmResult) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "alarms %d via %s, %d e-mails each, failures %d\n", len(r.Samples)+r.Failures, r.Via, r.Contacts, r.Failures)
	fmt.Fprintf(&b, "%-20s %5s %9s %9s %9s %9s\n", "ms from the alarm", "n", "min", "median", "p99", "max")
	for _, row := range []struct {
		name string
		d    AlarmDistribution
	}{{"vigie's answer", r.Accepted}, {"first e-mail", r.FirstMail}, {"last e-mail", r.LastMail}} {
		fmt.Fprintf(&b, "%-20s %5d %9.1f %9.1f %9.1f %9.1f\n",
			row.name, len(r.Samples), ms(row.d.Min), ms(row.d.Median), ms(row.d.P99), ms(row.d.Max))
	}
	if len(r.Samples) > 0 {
		verdict := "met"
		if r.LastMail.P99 > AlarmObjective {
			verdict = "MISSED"
		}
		fmt.Fprintf(&b, "objective: last e-mail p99 <= %.0f ms: %s\n", ms(AlarmObjective), verdict)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "failed: %s\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonAlarmDistribution struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	P99    float64 `json:"p99"`
	Max    float64 `json:"max"`
}

func alarmJSON(d AlarmDistribution) jsonAlarmDistribution {
	return jsonAlarmDistribution{Min: ms(d.Min), Median: ms(d.Median), P99: ms(d.P99), Max: ms(d.Max)}
}

// JSON is the result on one line, durations in milliseconds; "alarms"
// counts the alarms measured, "failures" the others.
func (r AlarmResult) JSON() ([]byte, error) {
	return json.Marshal(struct {
		Alarms    int                   `json:"alarms"`
		Contacts  int                   `json:"contacts"`
		LastMail  jsonAlarmDistribution `json:"alarm_to_last_mail_ms"`
		FirstMail jsonAlarmDistribution `json:"alarm_to_first_mail_ms"`
		Accepted  jsonAlarmDistribution `json:"alarm_to_answer_ms"`
		Via       string                `json:"via"`
		Failures  int                   `json:"failures"`
	}{len(r.Samples), r.Contacts, alarmJSON(r.LastMail), alarmJSON(r.FirstMail), alarmJSON(r.Accepted), r.Via, r.Failures})
}
