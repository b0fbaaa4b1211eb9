package parse

import (
	"strconv"
	"strings"
)

// CSS math functions (calc, min, max, clamp; CSS Values 4 §10) are
// evaluated to pixels, so that font-size: calc(0px) or left: min(-9999px,
// 0px) is judged like the length it computes to. Percentages and em are
// taken against the parent font size, as cssLength does.

// maxCalcDepth bounds nested parentheses and functions.
const maxCalcDepth = 32

// cssMath evaluates v when it is a math function; ok is false otherwise
// or when it cannot be read.
func cssMath(v string, parentPx float64) (float64, bool) {
	e := &calcExpr{s: strings.TrimSpace(v), em: parentPx}
	x, ok := e.term(0)
	e.space()
	return x, ok && e.i == len(e.s)
}

type calcExpr struct {
	s  string
	i  int
	em float64
}

func (e *calcExpr) space() {
	for e.i < len(e.s) && (e.s[e.i] == ' ' || e.s[e.i] == '\t' || e.s[e.i] == '\n') {
		e.i++
	}
}

// sum reads product (('+'|'-') product)*.
func (e *calcExpr) sum(depth int) (float64, bool) {
	x, ok := e.product(depth)
	for ok {
		e.space()
		if e.i >= len(e.s) || e.s[e.i] != '+' && e.s[e.i] != '-' {
			break
		}
		op := e.s[e.i]
		e.i++
		var y float64
		if y, ok = e.product(depth); op == '+' {
			x += y
		} else {
			x -= y
		}
	}
	return x, ok
}

// product reads term (('*'|'/') term)*.
func (e *calcExpr) product(depth int) (float64, bool) {
	x, ok := e.term(depth)
	for ok {
		e.space()
		if e.i >= len(e.s) || e.s[e.i] != '*' && e.s[e.i] != '/' {
			break
		}
		op := e.s[e.i]
		e.i++
		var y float64
		if y, ok = e.term(depth); op == '*' {
			x *= y
		} else if y != 0 {
			x /= y
		} else {
			ok = false
		}
	}
	return x, ok
}

// term reads a number or length, a parenthesised sum, or a function.
func (e *calcExpr) term(depth int) (float64, bool) {
	if depth > maxCalcDepth {
		return 0, false
	}
	e.space()
	rest := e.s[e.i:]
	for _, fn := range []string{"calc(", "min(", "max(", "clamp(", "("} {
		if !strings.HasPrefix(rest, fn) {
			continue
		}
		e.i += len(fn)
		var args []float64
		for {
			x, ok := e.sum(depth + 1)
			if !ok {
				return 0, false
			}
			args = append(args, x)
			e.space()
			if e.i < len(e.s) && e.s[e.i] == ',' {
				e.i++
				continue
			}
			if e.i >= len(e.s) || e.s[e.i] != ')' {
				return 0, false
			}
			e.i++
			break
		}
		switch fn {
		case "min(":
			m := args[0]
			for _, a := range args[1:] {
				m = min(m, a)
			}
			return m, true
		case "max(":
			m := args[0]
			for _, a := range args[1:] {
				m = max(m, a)
			}
			return m, true
		case "clamp(":
			if len(args) != 3 {
				return 0, false
			}
			return max(args[0], min(args[1], args[2])), true
		}
		return args[0], len(args) == 1
	}
	// A number with an optional sign, then its unit.
	j := e.i
	if j < len(e.s) && (e.s[j] == '+' || e.s[j] == '-') {
		j++
	}
	for j < len(e.s) && (e.s[j] >= '0' && e.s[j] <= '9' || e.s[j] == '.') {
		j++
	}
	if j < len(e.s) && e.s[j] == 'e' && j+1 < len(e.s) && (e.s[j+1] >= '0' && e.s[j+1] <= '9' || e.s[j+1] == '-' || e.s[j+1] == '+') {
		j += 2
		for j < len(e.s) && e.s[j] >= '0' && e.s[j] <= '9' {
			j++
		}
	}
	num := e.s[e.i:j]
	for j < len(e.s) && (e.s[j] >= 'a' && e.s[j] <= 'z' || e.s[j] == '%') {
		j++
	}
	tok := e.s[e.i:j]
	e.i = j
	if num == "" || num == "+" || num == "-" {
		return 0, false
	}
	if tok == num {
		f, err := strconv.ParseFloat(num, 64)
		return f, err == nil
	}
	return cssLength(tok, e.em)
}
