package policy

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Brands are the names phishing imitates most, with the registrable
// domain each sends from. A sender's domain that imitates one (homoglyphs,
// a letter off, the brand's domain followed by another: paypal.com.evil.tld,
// or the brand as a word of another domain: paypal-secure.example), or a
// display name that names one while the mail comes from elsewhere, is
// flagged. The same brand under another top-level domain (amazon.de) is
// not.
var brands = []struct {
	name   string // as a display name would say it, lower case
	domain string
}{
	{"paypal", "paypal.com"}, {"apple", "apple.com"}, {"icloud", "icloud.com"}, {"microsoft", "microsoft.com"},
	{"office 365", "microsoft.com"}, {"microsoft 365", "microsoft.com"}, {"outlook", "outlook.com"}, {"google", "google.com"},
	{"gmail", "gmail.com"}, {"amazon", "amazon.com"}, {"netflix", "netflix.com"}, {"facebook", "facebook.com"},
	{"instagram", "instagram.com"}, {"whatsapp", "whatsapp.com"}, {"linkedin", "linkedin.com"}, {"docusign", "docusign.com"},
	{"dropbox", "dropbox.com"}, {"wells fargo", "wellsfargo.com"}, {"bank of america", "bankofamerica.com"},
	{"american express", "americanexpress.com"}, {"citibank", "citi.com"}, {"hsbc", "hsbc.com"}, {"barclays", "barclays.co.uk"},
	{"dhl", "dhl.com"}, {"fedex", "fedex.com"}, {"usps", "usps.com"}, {"irs", "irs.gov"}, {"hmrc", "hmrc.gov.uk"},
	{"github", "github.com"}, {"gitlab", "gitlab.com"}, {"yahoo", "yahoo.com"}, {"adobe", "adobe.com"},
	{"coinbase", "coinbase.com"}, {"binance", "binance.com"}, {"stripe", "stripe.com"}, {"zoom", "zoom.us"},
	{"slack", "slack.com"}, {"okta", "okta.com"}, {"salesforce", "salesforce.com"}, {"ebay", "ebay.com"},
	{"walmart", "walmart.com"}, {"booking.com", "booking.com"}, {"airbnb", "airbnb.com"}, {"spotify", "spotify.com"},
	{"steam", "steampowered.com"}, {"discord", "discord.com"}, {"twitter", "twitter.com"}, {"openai", "openai.com"},
	{"anthropic", "anthropic.com"}, {"intuit", "intuit.com"}, {"quickbooks", "intuit.com"}, {"venmo", "venmo.com"},
}

// registrable is the domain's registrable part ("example.co.uk" of
// "mail.example.co.uk"), or the domain itself.
func registrable(domain string) string {
	if r, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		return r
	}
	return domain
}

func firstLabel(d string) string {
	l, _, _ := strings.Cut(d, ".")
	return l
}

// brandLookalike returns the brand domain that domain imitates, or "".
func brandLookalike(domain string) string {
	reg := registrable(domain)
	regLabel, suffix, _ := strings.Cut(reg, ".")
	for _, b := range brands {
		bl := firstLabel(b.domain)
		if reg == b.domain || regLabel == bl {
			continue // the brand itself, under any top-level domain
		}
		// paypal.com.evil.tld: the brand's domain, then another.
		if strings.HasPrefix(domain, b.domain+".") || strings.Contains(domain, "."+b.domain+".") {
			return b.domain
		}
		// paypal-secure.example, secure.paypal-login.example: the brand as
		// a word of another registrable domain.
		for _, word := range strings.FieldsFunc(strings.TrimSuffix(domain, "."+suffix), func(r rune) bool { return r == '.' || r == '-' }) {
			if len(bl) >= 4 && word == bl {
				return b.domain
			}
		}
		if skeleton(regLabel) == skeleton(bl) {
			return b.domain
		}
		if len(bl) >= 5 && editDistance(skeleton(regLabel), skeleton(bl), 1) <= 1 {
			return b.domain
		}
	}
	return ""
}

// brandInName returns the brand domain a display name claims when the
// sender's domain is not that brand's, or "".
func brandInName(name, domain string) string {
	n := " " + strings.Join(strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r > 0x7f)
	}), " ") + " "
	regLabel := firstLabel(registrable(domain))
	for _, b := range brands {
		if strings.Contains(n, " "+b.name+" ") && regLabel != firstLabel(b.domain) && !strings.HasSuffix(domain, "."+b.domain) {
			return b.domain
		}
	}
	return ""
}
