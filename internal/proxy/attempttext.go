package proxy

// AttemptErrorText is the error-log message of a failed attempt to reach
// addr at stage, in nginx's words ("connect() failed (111: Connection
// refused)"); StageAction is the action a session logs after " while ".
// `strait check` words its verdicts with them, so that they read exactly
// like a real session's log.
func AttemptErrorText(addr string, stage Stage, err error) string {
	return attemptErrorText(addr, stage, err)
}

// StageAction is nginx's log action for an attempt's stage: "connecting
// to upstream" or "SSL handshaking to upstream".
func StageAction(stage Stage) string { return stageAction(stage) }

// UpstreamReadFailureText is the error-log message and action of a read
// from a TLS upstream that failed after the handshake, in nginx's words:
// "SSL_read() failed (SSL: error:0A00045C:...) while proxying and reading
// from upstream" for an alert the upstream sent.
func UpstreamReadFailureText(err error) string {
	msg, action, _ := failureLine(flowFailure{err: err, upstream: true, tls: true})
	return msg + " while " + action
}
