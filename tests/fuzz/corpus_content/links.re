# links.re - regular expressions for links in SMS text (Hyperscan syntax, UTF-8 and Unicode
# properties on), one per line. Used by rules with 'when text matches links' after
# 'list links "lists/links.re"'. Written for cardwatch (synthetic). Lines are pattern ids in
# alerts: append, do not renumber. (\b is not available with Unicode properties on; write [0-9],
# not \d, which then means every Unicode digit and makes patterns too large.)

# any http(s) URL
https?://[A-Za-z0-9.-]+(/\S*)?
# a bare domain under cheap top-level domains often used for phishing pages
[A-Za-z0-9-]{2,}\.(cn|top|xyz|vip|cc|icu|tk)/\S*
# short-link services written without a scheme
(t\.cn|dwz\.cn|url\.cn|bit\.ly|tinyurl\.com)/[A-Za-z0-9]+
# a raw IPv4 address with a port or a path
[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(:[0-9]+)?/
