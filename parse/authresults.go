package parse

import (
	"strings"
)

// parseAuthResults parses one Authentication-Results header (RFC 8601
// §2.2): authserv-id [version] ( ";" resinfo )* | authserv-id ";" "none".
// Comments are removed first; unknown methods are kept in Methods.
func parseAuthResults(raw string) (AuthResult, bool) {
	v := stripComments(SanitizeText(collapseSpace(repair8bit([]byte(raw)))))
	parts := splitParams(v)
	if len(parts) == 0 {
		return AuthResult{}, false
	}
	id := strings.Fields(parts[0])
	if len(id) == 0 {
		return AuthResult{}, false
	}
	ar := AuthResult{AuthServID: strings.ToLower(id[0])}
	for _, p := range parts[1:] {
		toks := strings.Fields(p)
		if len(toks) == 0 || strings.EqualFold(toks[0], "none") {
			continue
		}
		// Some producers omit ";" between resinfos: start a new method at
		// every token of the form method=result that follows a property.
		var cur *AuthMethod
		for _, t := range toks {
			k, val, ok := strings.Cut(t, "=")
			if !ok {
				continue // "reason" words, bare tokens
			}
			val = strings.Trim(val, `"`)
			if !strings.Contains(k, ".") && !strings.EqualFold(k, "reason") {
				meth := strings.ToLower(k)
				if i := strings.IndexByte(meth, '/'); i >= 0 {
					meth = meth[:i] // method version, RFC 8601 §2.2
				}
				ar.Methods = append(ar.Methods, AuthMethod{Method: meth, Result: strings.ToLower(val)})
				cur = &ar.Methods[len(ar.Methods)-1]
				continue
			}
			if cur != nil && !strings.EqualFold(k, "reason") {
				cur.Props = append(cur.Props, strings.ToLower(k)+"="+val)
			}
		}
	}
	for _, m := range ar.Methods {
		switch m.Method {
		case "spf":
			if ar.SPF == "" {
				ar.SPF = m.Result
			}
		case "dkim":
			// Several signatures: a pass anywhere is what DMARC uses.
			if ar.DKIM == "" || m.Result == "pass" {
				ar.DKIM = m.Result
			}
		case "dmarc":
			if ar.DMARC == "" {
				ar.DMARC = m.Result
			}
		}
	}
	return ar, true
}

// stripComments removes RFC 5322 comments (nested parentheses) outside
// quoted strings.
func stripComments(s string) string {
	var b strings.Builder
	depth, inQ, esc := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
			if depth == 0 {
				b.WriteByte(c)
			}
			continue
		case c == '\\':
			esc = true
		case c == '"' && depth == 0:
			inQ = !inQ
		case c == '(' && !inQ:
			depth++
			continue
		case c == ')' && !inQ && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
			continue
		}
		if depth == 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}
