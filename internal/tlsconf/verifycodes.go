package tlsconf

// OpenSSL X509_V_ERR_* codes that strait reports, with OpenSSL 3's reason
// strings, so that logs read the same as nginx's.
const (
	codeOK                          = 0
	codeUnspecified                 = 1
	codeUnableToGetIssuer           = 2
	codeUnableToGetCRL              = 3
	codeCertSignatureFailure        = 7
	codeCRLSignatureFailure         = 8
	codeCertNotYetValid             = 9
	codeCertHasExpired              = 10
	codeCRLNotYetValid              = 11
	codeCRLHasExpired               = 12
	codeDepthZeroSelfSigned         = 18
	codeSelfSignedInChain           = 19
	codeUnableToGetLocalIssuer      = 20
	codeUnableToVerifyLeaf          = 21
	codeChainTooLong                = 22
	codeCertRevoked                 = 23
	codeInvalidCA                   = 79 // X509_V_ERR_INVALID_CA in OpenSSL 3 (24 in 1.1)
	codePathLengthExceeded          = 25
	codeInvalidPurpose              = 26
	codeKeyUsageNoCertSign          = 32
	codeUnhandledCriticalExtension  = 34
	codeProxyCertificatesNotAllowed = 40
	codeUnnestedResource            = 46
	codePermittedViolation          = 47
	codeExcludedViolation           = 48
	codeSubtreeMinMax               = 49
	codeUnsupportedConstraintType   = 51
	codeUnsupportedConstraintSyntax = 52
	codeUnsupportedNameSyntax       = 53
	codeEEKeyTooSmall               = 66
	codeCAKeyTooSmall               = 67
	codeCAMDTooWeak                 = 68
	codeNoPeerCertificate           = 50 // X509_V_ERR_APPLICATION_VERIFICATION: the peer sent no certificate
)

var verifyReasons = map[int]string{
	codeOK:                          "ok",
	codeUnspecified:                 "unspecified certificate verification error",
	codeUnableToGetIssuer:           "unable to get issuer certificate",
	codeUnableToGetCRL:              "unable to get certificate CRL",
	codeCertSignatureFailure:        "certificate signature failure",
	codeCRLSignatureFailure:         "CRL signature failure",
	codeCertNotYetValid:             "certificate is not yet valid",
	codeCertHasExpired:              "certificate has expired",
	codeCRLNotYetValid:              "CRL is not yet valid",
	codeCRLHasExpired:               "CRL has expired",
	codeDepthZeroSelfSigned:         "self-signed certificate",
	codeSelfSignedInChain:           "self-signed certificate in certificate chain",
	codeUnableToGetLocalIssuer:      "unable to get local issuer certificate",
	codeUnableToVerifyLeaf:          "unable to verify the first certificate",
	codeChainTooLong:                "certificate chain too long",
	codeCertRevoked:                 "certificate revoked",
	codeInvalidCA:                   "invalid CA certificate",
	codePathLengthExceeded:          "path length constraint exceeded",
	codeInvalidPurpose:              "unsuitable certificate purpose",
	codeKeyUsageNoCertSign:          "key usage does not include certificate signing",
	codeUnhandledCriticalExtension:  "unhandled critical extension",
	codeProxyCertificatesNotAllowed: "proxy certificates not allowed, please set the appropriate flag",
	codeUnnestedResource:            "RFC 3779 resource not subset of parent's resources",
	codePermittedViolation:          "permitted subtree violation",
	codeExcludedViolation:           "excluded subtree violation",
	codeSubtreeMinMax:               "name constraints minimum and maximum not supported",
	codeUnsupportedConstraintType:   "unsupported name constraint type",
	codeUnsupportedConstraintSyntax: "unsupported or invalid name constraint syntax",
	codeUnsupportedNameSyntax:       "unsupported or invalid name syntax",
	codeEEKeyTooSmall:               "EE certificate key too weak",
	codeCAKeyTooSmall:               "CA certificate key too weak",
	codeCAMDTooWeak:                 "CA signature digest algorithm too weak",
	codeNoPeerCertificate:           "application verification failure: no peer certificate",
}

func verifyReason(code int) string {
	if r, ok := verifyReasons[code]; ok {
		return r
	}
	return "unknown verification error"
}
