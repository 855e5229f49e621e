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
