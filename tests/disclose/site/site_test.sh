#!/usr/bin/env bash
# The disclosure page (tools/disclose/site/) in headless Chromium, against the
# real output of boai-disclose on the demo data: a correct statement must show
# data-state="verified" on #verify-status; three tampered copies must show
# data-state="failed" with the reason on the page.
#
#   site_test.sh setup BOAI BOAI_DISCLOSE DIR   # demo ledger + 2019 statement in DIR/out
#   site_test.sh setup_cosigned BOAI_AUDIT BOAI_DISCLOSE DIR  # cosigned copy, DIR/cosigned
#   site_test.sh CASE DIR                       # CASE: verified, changed_amount,
#                                               #   changed_leaf, two_changed_leaves,
#                                               #   bad_signature, cosigned,
#                                               #   cosigner_absent, relabelled_period,
#                                               #   changed_text, find
#
# Needs bash, coreutils and perl (JSON::PP, MIME::Base64: core modules). Exit 0
# pass, 1 fail, 77 skipped (no chromium: `apt-get install chromium`, which
# .ci/deps installs). BOAI_CHROMIUM overrides the browser path.
set -euo pipefail

die() { echo "FAIL: $*" >&2; exit 1; }

find_chromium() {
  local c
  for c in "${BOAI_CHROMIUM:-}" chromium chromium-browser google-chrome; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 && { command -v "$c"; return 0; }
  done
  return 1
}

# setup: the demo ledger and its 2019 statement, written once for every case.
if [ "${1:-}" = setup ]; then
  [ $# -eq 4 ] || die "usage: $0 setup BOAI BOAI_DISCLOSE DIR"
  boai=$2 disclose=$3 dir=$4
  rm -rf "$dir"
  mkdir -p "$dir"
  "$boai" demo --data "$dir/data" --quiet || die "boai demo failed"
  "$disclose" --data "$dir/data" --period 2019 --out "$dir/out" || die "boai-disclose failed"
  for f in index.html statement.json statement.js; do
    [ -s "$dir/out/$f" ] || die "boai-disclose wrote no $f in $dir/out"
  done
  echo "statement written to $dir/out"
  exit 0
fi

# setup_cosigned: a copy of that ledger whose checkpoint an auditor cosigned
# (boai-audit keygen + cosign), and its statement in DIR/cosigned.
if [ "${1:-}" = setup_cosigned ]; then
  [ $# -eq 4 ] || die "usage: $0 setup_cosigned BOAI_AUDIT BOAI_DISCLOSE DIR"
  audit=$2 disclose=$3 dir=$4
  [ -d "$dir/data" ] || die "no ledger in $dir/data: run the setup step first"
  rm -rf "$dir/cdata" "$dir/cosigned" "$dir/cosigner.key"
  cp -r "$dir/data" "$dir/cdata"
  "$audit" keygen --name audit.example.cn/site-test --out "$dir/cosigner.key" >/dev/null || die "boai-audit keygen failed"
  "$audit" vkey --key "$dir/cosigner.key" > "$dir/cosigner.vkey" || die "boai-audit vkey --key failed"
  "$audit" cosign --data "$dir/cdata" --key "$dir/cosigner.key" || die "boai-audit cosign failed"
  "$disclose" --data "$dir/cdata" --period 2019 --out "$dir/cosigned" || die "boai-disclose failed"
  grep -q 'audit.example.cn/site-test' "$dir/cosigned/statement.json" || die "the statement carries no cosignature"
  echo "cosigned statement written to $dir/cosigned"
  exit 0
fi

[ $# -eq 2 ] || die "usage: $0 CASE DIR"
case_name=$1
dir=$(cd "$2" 2>/dev/null && pwd) || die "no directory $2: run the setup step first"
[ -s "$dir/out/statement.json" ] || die "no statement in $dir/out: the setup test did not run or failed"
chromium=$(find_chromium) || { echo "SKIP: chromium is not installed (apt-get install chromium)"; exit 77; }

work=$(mktemp -d "$dir/$case_name.XXXXXX")
trap 'rm -rf "$work"' EXIT

# statement.js is exactly "window.BOAI_STATEMENT = " + statement.json without its
# final newline + ";\n" (docs/disclosure.md).
write_js() {
  perl -0777 -ne 's/\n\z//; print "window.BOAI_STATEMENT = $_;\n"' "$1/statement.json" > "$1/statement.js"
}

# A copy of the output in which perl code ($s is the decoded statement) changed
# something; prints what the expected reasons need (see each case).
tamper() {
  local name=$1 code=$2 src=${3:-$dir/out}
  cp -r "$src" "$work/$name"
  perl -MJSON::PP -MMIME::Base64 -e '
    my ($file, $code) = @ARGV;
    local $/; open my $in, "<:raw", $file or die "$file: $!"; my $text = <$in>; close $in;
    my $json = JSON::PP->new->utf8->canonical;
    our $s = $json->decode($text);
    our $note = "";
    eval $code; die $@ if $@;
    open my $out, ">:raw", $file or die "$file: $!"; print $out $json->encode($s), "\n"; close $out;
    print $note;
  ' "$work/$name/statement.json" "$code"
  write_js "$work/$name"
}

# Opens DIR/index.html (with a query) headless; prints the dumped DOM.
render() {
  local page=$1 query=$2 profile
  profile=$(mktemp -d "$work/profile.XXXXXX")
  HOME="$profile" XDG_CONFIG_HOME="$profile" XDG_CACHE_HOME="$profile" \
    timeout 180 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
      --user-data-dir="$profile" --virtual-time-budget=15000 \
      --dump-dom "file://$page/index.html$query" 2>"$work/chromium.log" ||
    { cat "$work/chromium.log" >&2; die "chromium failed on $page/index.html$query"; }
}

# Checks the badge of a page: its data-state and that its text contains $3.
expect() {
  local page=$1 query=$2 want_state=$3 want_text=$4 dom tag state text checks
  dom=$(render "$page" "$query")
  dom_last=$dom
  tag=$(printf '%s' "$dom" | perl -0777 -ne 'print $1 if /(<[^>]*\bid="verify-status"[^>]*>)/')
  [ -n "$tag" ] || die "$case_name$query: no element with id verify-status in the page"
  state=$(printf '%s' "$tag" | perl -ne 'print $1 if /\bdata-state="([^"]*)"/')
  text=$(printf '%s' "$dom" | perl -0777 -ne 'print $1 if /id="verify-status"[^>]*>(.*?)<\/p>/s' | perl -pe 's/<[^>]*>//g; s/&amp;/&/g; s/&lt;/</g; s/&gt;/>/g; s/&nbsp;/ /g; s/\s+/ /g; s/^ //; s/ $//')
  badge_last=$text
  echo "$case_name$query: data-state=\"$state\": $text"
  [ "$state" = "$want_state" ] || die "$case_name$query: data-state is \"$state\", expected \"$want_state\" (badge: $text)"
  case "$text" in
    *"$want_text"*) ;;
    *) die "$case_name$query: the badge does not say \"$want_text\"; it says: $text" ;;
  esac
  # The failure must also be listed under Integrity, where a reader looks for it.
  if [ "$want_state" = failed ]; then
    checks=$(perl -0777 -ne 'print $1 if /<ul class="checks">(.*?)<\/ul>/s' <<<"$dom")
    grep -qF -- "$want_text" <<<"$checks" || die "$case_name$query: \"$want_text\" is not listed under Integrity"
  fi
}

# The text of "find my gift" (#find-result) of a page opened with a query.
find_text() {
  local dom
  dom=$(render "$1" "$2")
  printf '%s' "$dom" | perl -0777 -ne 'print $1 if /<div id="find-result"[^>]*>(.*?)<\/div>\s*<\/section>/s' |
    perl -0777 -pe 's/<details>.*?<\/details>//gs; s/<[^>]*>/ /g; s/&amp;/&/g; s/\s+/ /g; s/^ //; s/ $//'
}

# Checks that "find my gift" with $2 (a hash query) shows text $3 (and $4, if given).
expect_find() {
  local page=$1 query=$2 text
  text=$(find_text "$page" "$query")
  echo "$case_name$query: find: $text"
  shift 2
  for want in "$@"; do
    case "$text" in
      *"$want"*) ;;
      *) die "$case_name$query: find my gift does not say \"$want\"; it says: $text" ;;
    esac
  done
}

# yuan with two decimals and thousands separators, from integer fen.
yuan_pl='sub yuan { my $v = shift; my $neg = $v < 0; $v = -$v if $neg; my $w = int($v / 100); 1 while $w =~ s/^(\d+)(\d{3})/$1,$2/; return ($neg ? "-" : "") . $w . "." . sprintf("%02d", $v % 100); }'

case "$case_name" in
  verified)
    expect "$dir/out" "" verified "已核验"
    expect "$dir/out" "?lang=en" verified "Verified"
    # Verified under the statement's own key: the badge says the key was not pinned
    # (a re-signed forgery would show the same); pinned, it does not.
    expect "$dir/out" "?lang=en" verified "But the key was not pinned"
    expect "$dir/out" "" verified "您未固定信任的公钥（#vkey=）"
    vkey=$(perl -MJSON::PP -0777 -ne 'print JSON::PP->new->utf8->decode($_)->{integrity}{verifier_key}' "$dir/out/statement.json")
    expect "$dir/out" "?lang=en#vkey=$vkey" verified "Verified"
    case "$badge_last" in *"not pinned"*) die "pinned with #vkey=, the badge still says: $badge_last" ;; esac
    ;;
  changed_amount)
    # The donations of the fund with the most donations in "income by fund"
    # raised by 1 yuan.
    info=$(tamper amount "$yuan_pl"'
      my ($row) = sort { $b->{donations} <=> $a->{donations} } @{$s->{income}{by_fund}};
      $row or die "the statement has no income by fund";
      my $was = $row->{donations};
      $row->{donations} = $was + 100;
      $note = join("\t", $row->{fund}, yuan($was + 100), yuan($was));')
    IFS=$'\t' read -r fund says sums <<<"$info"
    expect "$work/amount" "?lang=en" failed "Income by fund $fund, donations: statement says ¥$says, leaves sum to ¥$sums"
    expect "$work/amount" "" failed "按基金收入 $fund · 捐赠：公示写的是 ¥$says，按条目合计为 ¥$sums"
    ;;
  changed_leaf)
    # One digit of the amount in the first listed gift leaf; leaf_hash and the
    # proof are left as they were.
    index=$(tamper leaf '
      for my $e (@{$s->{integrity}{entries}}) {
        next unless $e->{leaf} =~ /"kind":"gift"/;
        $e->{leaf} =~ s/("amount":\d*)(\d)/$1 . (($2 + 1) % 10)/e or die "no amount in entry $e->{index}";
        $note = $e->{index};
        last;
      }
      $note ne "" or die "no gift among the listed entries";')
    expect "$work/leaf" "?lang=en" failed "entry $index: leaf hash mismatch"
    expect "$work/leaf" "" failed "条目 $index：叶哈希不符"
    ;;
  two_changed_leaves)
    # Two listed gift leaves changed: the badge and the Integrity list name the
    # same entry, the first.
    first=$(tamper leaves '
      my @changed;
      for my $e (@{$s->{integrity}{entries}}) {
        next unless $e->{leaf} =~ /"kind":"gift"/;
        $e->{leaf} =~ s/("amount":\d*)(\d)/$1 . (($2 + 1) % 10)/e or die "no amount in entry $e->{index}";
        push @changed, $e->{index};
        last if @changed == 2;
      }
      @changed == 2 or die "fewer than two gifts listed";
      $note = $changed[0];')
    expect "$work/leaves" "?lang=en" failed "entry $first: leaf hash mismatch"
    grep -qF "Listed entries: failed — entry $first: leaf hash mismatch" <<<"$(perl -pe 's/<[^>]*>//g' <<<"$dom_last")" ||
      die "the Integrity list does not name entry $first for the listed entries"
    expect "$work/leaves" "" failed "条目 $first：叶哈希不符"
    ;;
  bad_signature)
    # One bit of the Ed25519 signature (after the 4-byte key id) flipped.
    tamper sig '
      my $cp = $s->{integrity}{checkpoint};
      $cp =~ s/^(\x{2014} \S+ )(\S+)$/$1 . encode_base64(flip(decode_base64($2)), "")/me or die "no signature line";
      sub flip { my $b = shift; substr($b, 10, 1) = chr(ord(substr($b, 10, 1)) ^ 1); return $b; }
      $s->{integrity}{checkpoint} = $cp;' >/dev/null
    expect "$work/sig" "?lang=en" failed "checkpoint signature invalid"
    expect "$work/sig" "" failed "检查点签名无效"
    # "Find my gift" on that page says why the entry could not be verified.
    expect_find "$work/sig" "?lang=en#receipt=HB2019-0001" "Entry " \
      "This entry could not be verified because an earlier check failed: checkpoint signature invalid"
    expect_find "$work/sig" "#receipt=HB2019-0001" "该条目无法核验，因为此前的核验未通过：检查点签名无效"
    ;;
  cosigned)
    # With the auditor's key given (#cosigner=), the cosignature is verified;
    # one flipped bit in it fails the page.
    [ -s "$dir/cosigned/statement.json" ] || die "no cosigned statement: the setup_cosigned test did not run or failed"
    vkey=$(cat "$dir/cosigner.vkey")
    expect "$dir/cosigned" "?lang=en#cosigner=$vkey" verified "Verified"
    grep -qF "audit.example.cn/site-test, time " <<<"$dom_last" || die "the cosignature is not listed"
    grep -qF "signature valid (key $vkey)" <<<"$dom_last" || die "the cosignature is not shown as verified"
    tamper cosig '
      my $line = $s->{integrity}{cosignatures}[0] or die "no cosignature";
      $line =~ s/^(\S+ \S+ )(\S+)/$1 . encode_base64(flip(decode_base64($2)), "")/e or die "bad cosignature line";
      sub flip { my $b = shift; substr($b, 40, 1) = chr(ord(substr($b, 40, 1)) ^ 1); return $b; }
      $s->{integrity}{cosignatures}[0] = $line;' "$dir/cosigned" >/dev/null
    expect "$work/cosig" "?lang=en#cosigner=$vkey" failed "the cosignature of audit.example.cn/site-test is invalid"
    expect "$work/cosig" "#cosigner=$vkey" failed "audit.example.cn/site-test 的联署签名无效"
    ;;
  cosigner_absent)
    # The reader names a cosigner (#cosigner=) whose cosignature the statement
    # lacks: not verified.
    [ -s "$dir/cosigner.vkey" ] || die "no cosigner key: the setup_cosigned test did not run or failed"
    vkey=$(cat "$dir/cosigner.vkey")
    expect "$dir/out" "?lang=en#cosigner=$vkey" failed "no valid cosignature by audit.example.cn/site-test, the cosigner you named"
    expect "$dir/out" "#cosigner=$vkey" failed "没有您指定的联署方 audit.example.cn/site-test 的有效联署签名"
    ;;
  relabelled_period)
    # The 2019 statement relabelled "2020": the id names other dates.
    tamper relabel '$s->{period}{id} = "2020";' >/dev/null
    expect "$work/relabel" "?lang=en" failed "the period 2020 runs from 2020-01-01 to 2020-12-31, the statement says 2019-01-01 to 2019-12-31"
    expect "$work/relabel" "" failed "期间 2020 应为 2020-01-01 至 2020-12-31，公示写的是 2019-01-01 至 2019-12-31"
    tamper rekind '$s->{period}{kind} = "month";' >/dev/null
    expect "$work/rekind" "?lang=en" failed "the period 2019 is a year, the statement says month"
    ;;
  changed_text)
    # A donor's display changed: a mismatch, not a sum.
    tamper display '$s->{donors}[0]{display} = "\x{738B}*";' >/dev/null
    expect "$work/display" "?lang=en" failed "statement says 王*, which does not match the leaves ("
    expect "$work/display" "" failed "公示写的是 王*，与条目不符（条目为 "
    ;;
  find)
    # Find my gift: by an online gift's platform transaction id (its idempotency
    # key), in any case; full-width digits and letters; "第13号".
    read -r index key < <(perl -MJSON::PP -0777 -ne '
      for my $e (@{JSON::PP->new->utf8->decode($_)->{integrity}{entries}}) {
        my $l = JSON::PP->new->decode($e->{leaf});
        if ($l->{kind} eq "gift" && !$l->{body}{receipt} && $l->{body}{channel} eq "online") { print "$e->{index} $l->{key}\n"; last }
      }' "$dir/out/statement.json")
    [ -n "${key:-}" ] || die "no online gift without a receipt in the statement"
    expect_find "$dir/out" "?lang=en#receipt=$(tr 'A-Z' 'a-z' <<<"$key")" "Entry $index found" "This entry is verified"
    read -r index13 < <(perl -MJSON::PP -0777 -ne '
      for my $e (@{JSON::PP->new->utf8->decode($_)->{integrity}{entries}}) {
        my $l = JSON::PP->new->decode($e->{leaf});
        my $r = $l->{body}{receipt};
        if ($l->{kind} eq "gift" && $r && $r->{book} eq "HB2019" && $r->{number} == 13) { print "$e->{index}\n"; last }
      }' "$dir/out/statement.json")
    [ -n "${index13:-}" ] || die "no gift with receipt HB2019 13 in the statement"
    # ＨＢ２０１９ １３ (full-width), hb2019 第13号, 第１３号
    expect_find "$dir/out" "?lang=en#receipt=%EF%BC%A8%EF%BC%A2%EF%BC%92%EF%BC%90%EF%BC%91%EF%BC%99%20%EF%BC%91%EF%BC%93" "Entry $index13 found"
    expect_find "$dir/out" "?lang=en#receipt=hb2019%20%E7%AC%AC13%E5%8F%B7" "Entry $index13 found"
    expect_find "$dir/out" "#receipt=%E7%AC%AC%EF%BC%91%EF%BC%93%E5%8F%B7" "找到条目 $index13"
    ;;
  *) die "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
