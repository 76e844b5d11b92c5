"""Question matcher: paraphrases (written for these tests, not taken from the dev set),
diacritics, typos, English, out-of-scope questions, data validation and speed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from content.matcher import Match, Matcher, _is_syllable, load_matcher
from content.normalize import strip_diacritics

DATA_DIR = Path(__file__).resolve().parents[2] / "content" / "data"
TOPIC_IDS = {
    t["id"] for t in yaml.safe_load((DATA_DIR / "topics.yaml").read_text("utf-8"))["topics"]
}

# topic<TAB>question; plain, no diacritics, typos, abbreviations, stories, English
PARAPHRASES = """\
program.list	ngan hang chinh sach xa hoi hien co bao nhieu chuong trinh cho vay
program.list	cho em hoi nhcsxh co nhung goi vay gi a
program.list	What kinds of loans can I get from VBSP?
program.list	minh muon biet danh sach cac chuong trinh vay uu dai
program.poor	nha em thuoc ho ngheo muon vay 50 trieu nuoi bo duoc ko
program.poor	Hộ nghèo vay vốn ngân hàng chính sách lãi suất bao nhiêu một tháng vậy
program.poor	gia dinh toi co so ho ngheo, vay de mua giong lua
program.poor	i am a poor household can i borrow money
program.poor	ho ngheo vay dc toi da bi nhiu
program.near_poor	nha toi la ho can ngheo thi vay duoc bao nhieu
program.near_poor	Cận nghèo có được vay ưu đãi như hộ nghèo không
program.near_poor	loan for near poor family interest rate
program.near_poor	ho can ngheo can giay to gi de vay
program.escaped_poverty	nha em moi thoat ngheo duoc 1 nam co vay tiep duoc khong
program.escaped_poverty	Hộ vừa thoát nghèo vay tối đa bao nhiêu?
program.escaped_poverty	we just got out of poverty, can we still get a loan
program.escaped_poverty	ho thoat ngheo thoi han vay may nam
program.student	con toi thi do dai hoc nha ko co tien dong hoc phi
program.student	vay von hssv lai suat bao nhieu
program.student	Em là sinh viên năm nhất, muốn vay tiền ăn học
program.student	can I get a loan to pay my college tuition
program.student	vay cho con hoc cao dang thi lam ho so the nao
program.jobs	Tôi muốn vay để mở xưởng mộc, thuê thêm 3 lao động
program.jobs	vay von giai quyet viec lam lai suat may phan tram
program.jobs	minh bi mat viec muon vay von tu lam an
program.jobs	loan to expand my workshop and create jobs
program.clean_water	nha toi muon khoan gieng va xay be nuoc thi vay o dau
program.clean_water	Vay tiền làm công trình nhà tiêu hợp vệ sinh được bao nhiêu
program.clean_water	cho vay nuoc sach nong thon lai suat
program.clean_water	I want a loan to build a toilet for my house
program.social_housing	vay mua nha o xa hoi can dieu kien gi
program.social_housing	Tôi là công nhân muốn vay mua căn hộ chung cư nhà ở xã hội
program.social_housing	muon vay tien sua chua nha bi dot
program.social_housing	social housing loan interest rate
program.labor_abroad	con em sap di xkld dai loan, vay ngan hang chinh sach duoc ko
program.labor_abroad	Vay vốn đi làm việc ở Hàn Quốc theo chương trình EPS
program.labor_abroad	toi muon di lam o nuoc ngoai nhung khong co tien dong phi
program.labor_abroad	loan to go work in Japan
program.difficult_area	nha toi o xa dac biet kho khan muon vay de chan nuoi
program.difficult_area	Hộ kinh doanh ở vùng sâu vùng xa vay được không?
program.difficult_area	vay sxkd vung kho khan toi da bao nhieu
program.difficult_area	loan for households in disadvantaged areas
program.ethnic_minority	toi la nguoi dan toc thieu so o vung cao muon vay von
program.ethnic_minority	Đồng bào dân tộc vay theo Nghị định 28 thế nào
program.ethnic_minority	ho dtts vay lam nha o
program.ethnic_minority	loans for ethnic minority people
program.ex_prisoner	chong toi moi di tu ve muon vay von lam an
program.ex_prisoner	Người đã chấp hành xong án phạt tù có được vay không
program.ex_prisoner	em vua man han tu can vay tien mo tiem
program.ex_prisoner	I just got out of prison, can I borrow
eligibility	nhung ai duoc vay von uu dai
eligibility	Tôi có đủ điều kiện vay vốn ngân hàng chính sách không?
eligibility	doi tuong nao duoc vay nhcsxh
eligibility	am I eligible for a loan
loan.documents	vay von can mang theo giay to gi
loan.documents	Làm hồ sơ vay cần những giấy tờ nào?
loan.documents	co can cccd voi so ho khau khong
loan.documents	what documents do I need
loan.procedure	thu tuc vay von nhu the nao a
loan.procedure	Nộp hồ sơ xong bao lâu thì được giải ngân?
loan.procedure	muon vay thi phai lam gi truoc
loan.procedure	how do I apply for a loan
loan.collateral	vay von co phai the chap so do ko
loan.collateral	Vay ngân hàng chính sách có cần tài sản bảo đảm không?
loan.collateral	do i need collateral
loan.collateral	khong co tai san the chap thi co vay duoc khong
loan.interest	lai xuat vay la bao nhieu phan tram
loan.interest	Lãi suất ưu đãi hiện nay bao nhiêu?
loan.interest	tien lai tinh theo thang hay theo nam
loan.interest	what is the interest rate
loan.amount	vay toi da duoc bao nhieu tien
loan.amount	Mức vay cao nhất là bao nhiêu?
loan.amount	how much money can i borrow
loan.amount	han muc vay moi ho la bao nhieu
loan.term	vay duoc trong bao lau
loan.term	Thời hạn cho vay tối đa là mấy năm?
loan.term	how long is the loan term
loan.term	vay 5 nam duoc khong
loan.repayment	tra no goc nhu the nao
loan.repayment	Tôi có thể trả nợ trước hạn không?
loan.repayment	dong lai o dau vay
loan.repayment	how do I repay the loan
loan.overdue	den han ma chua co tien tra thi sao
loan.overdue	Tôi muốn xin gia hạn nợ thêm 1 năm
loan.overdue	no qua han bi phat nhu the nao
loan.overdue	I cannot repay on time what happens
loan.risk	bao lu lam chet het heo, toi khong tra no duoc
loan.risk	Chồng tôi mất rồi, khoản vay xử lý sao?
loan.risk	dich ta lon chau phi lam mat trang, co duoc khoanh no khong
loan.risk	my crops were destroyed by a flood, can the debt be forgiven
savings	gui tiet kiem qua to thi lai bao nhieu
savings	Tôi muốn gửi tiết kiệm ở ngân hàng chính sách
savings	rut tien tiet kiem ra duoc khong
savings	can i open a savings account
group	to tiet kiem va vay von la gi
group	Tổ trưởng tổ vay vốn có nhiệm vụ gì?
group	co bat buoc phai vao to moi duoc vay khong
group	what does the group leader do
schedule.when	ngay giao dich o xa minh la ngay nao
schedule.when	Tháng này ngân hàng về xã ngày mấy?
schedule.when	khi nao ngan hang xuong xa
schedule.when	when is the transaction day in my commune
schedule.where	diem giao dich xa o dau vay
schedule.where	Điểm giao dịch mở cửa lúc mấy giờ?
schedule.where	o diem giao dich co tra no duoc khong
schedule.where	where is the transaction point
schedule.remind	nhac toi ngay giao dich nhe
schedule.remind	Đăng ký nhận nhắc lịch giao dịch
schedule.remind	huy nhac lich giup toi
schedule.remind	remind me before the transaction day
contact	so dien thoai ngan hang chinh sach huyen
contact	Tôi muốn liên hệ với phòng giao dịch
contact	hotline nhcsxh la so may
contact	how can I contact the bank
digital	co tra no qua app duoc khong
digital	Cách cài ứng dụng VBSP SmartBanking
digital	chuyen khoan tra lai qua dien thoai duoc ko
digital	is there a mobile banking app
blackcredit.signs	lam sao biet la tin dung den
blackcredit.signs	Vay góp ngày lãi cao có phải tín dụng đen không?
blackcredit.signs	to roi cho vay tien nhanh khong can the chap dan o cot dien
blackcredit.signs	how to recognise loan sharks
blackcredit.apps	vay qua app bi doi phi bao hiem truoc
blackcredit.apps	App vay tiền online có lừa đảo không?
blackcredit.apps	toi vay online ho doi truy cap danh ba
blackcredit.apps	online loan app asked me to pay a fee first
blackcredit.victim	bi chu no goi dien khung bo ca nha
blackcredit.victim	Họ đăng ảnh tôi lên mạng bôi nhọ vì nợ, phải làm sao?
blackcredit.victim	bon doi no den nha de doa danh toi
blackcredit.victim	a lender is threatening my family
blackcredit.law	cho vay nang lai bi xu ly the nao
blackcredit.law	Lãi suất bao nhiêu thì vi phạm pháp luật?
blackcredit.law	cho vay lai cao co pham toi khong
blackcredit.law	is usury illegal in vietnam
report	toi muon to giac tin dung den
report	Tôi muốn báo cáo sai phạm của cán bộ xã
report	phan anh vu cho vay nang lai o dau
report	I want to report a loan shark
report.status	bao cao cua toi xu ly den dau roi
report.status	Tra cứu tình trạng phản ánh đã gửi
report.status	toi da to giac tuan truoc sao chua thay gi
report.status	check the status of my report
misconduct.proxy	vay ke co bi phat khong
misconduct.proxy	Tôi đứng tên vay hộ người khác có sao không?
misconduct.proxy	nguoi ta muon ten toi di vay ngan hang
misconduct.proxy	someone borrowed in my name
misconduct.embezzle	to truong thu tien lai roi khong nop ngan hang
misconduct.embezzle	Cán bộ hội giữ sổ vay của nhà tôi không trả
misconduct.embezzle	toi dong tien cho to truong ma so khong ghi
misconduct.embezzle	the group leader kept the money I paid
misconduct.fees	can bo xa doi 3 trieu moi cho vay
misconduct.fees	Tổ trưởng đòi tiền hoa hồng khi giải ngân
misconduct.fees	vay nhcsxh co mat phi gi khong
misconduct.fees	the officer asked me for a bribe to get the loan
privacy	bot co luu thong tin cua toi ko
privacy	Xóa dữ liệu cá nhân của tôi đi
privacy	thong tin cua toi co bi lo khong
privacy	what personal data do you keep
help	chao ban
help	Bạn giúp được gì cho tôi?
help	huong dan su dung bot
help	hi
help	what can you do
none	gia vang sjc hom nay
none	Dự báo thời tiết ngày mai ở Hà Nội
none	ty so tran bong da viet nam thai lan
none	vay tin chap vietcombank lai suat bao nhieu
none	mo the tin dung agribank
none	cach lam banh xeo
none	toi muon mua xe may tra gop
none	gia lua hom nay bao nhieu
none	lich thi dau world cup
none	ban co nguoi yeu chua
program.poor	nha 5 nguoi, chong om dau, thu nhap thap, co so ho ngheo. vay nuoi heo duoc hong
program.poor	hộ nghèo dzay được nhiêu tiền vậy ad
program.poor	nghoe co dc vay von khong
program.near_poor	can ngheo vay dc nhiu
program.escaped_poverty	nam roi xa moi cho nha em ra khoi ho ngheo, gio muon vay tiep de nuoi bo
program.student	con e dau dh bach khoa nha k du tien, vay sv dc bn 1 thang
program.student	vay tien cho con di hoc trung cap nghe
program.jobs	vay von tao viec lam cho ng khuyet tat
program.jobs	em muon mo co so may mac thue 5 cong nhan, vay von ho tro viec lam dc ko
program.clean_water	nha e o que chua co nha ve sinh, muon vay tien xay
program.social_housing	vo chong toi luong thap muon vay mua nha o xh
program.labor_abroad	chau toi dau don hang di nhat roi, can 150tr, vay nhcs dc ko
program.labor_abroad	xkld han quoc vay ngan hang cs bao nhieu
program.difficult_area	xa toi nam trong danh sach xa dac biet kho khan, muon vay mo tiem tap hoa
program.ethnic_minority	dong bao o ban toi muon vay von trong rung
program.ex_prisoner	thang con toi moi ra trai giam thang truoc, gio muon vay it von lam lai cuoc doi
eligibility	nha toi khong phai ho ngheo thi co duoc vay khong
eligibility	vay ngan hang chinh sach can dieu kien gi
loan.documents	di vay thi mang nhung giay to gi theo vay
loan.documents	ho so vay von gom nhung loai giay nao
loan.procedure	toi muon vay von thi bat dau tu dau
loan.procedure	nop don roi bao lau moi co tien
loan.collateral	vay ngan hang cs co phai cam so do ko
loan.interest	ls vay nhcsxh hien nay
loan.interest	tien lai moi thang tinh sao
loan.amount	vay dc nhiu nhat la bi nhiu
loan.term	vay bao lâu phải trả hết nợ
loan.repayment	toi muon tra het no som co bi phat ko
loan.repayment	tra goc 1 lan hay chia ra nhieu lan
loan.overdue	nha toi kho qua, den han chua tra no duoc, xin lui han duoc ko
loan.overdue	tre han tra no vai thang co sao khong
loan.risk	nha bi chay sach, mat het tai san, no ngan hang giai quyet sao
loan.risk	ba con mua lu troi het ga vit, xin khoanh no
savings	gui tiet kiem hang thang o to duoc lai khong
group	lam to truong to vay von thi phai lam nhung gi
group	toi muon ra khoi to vay von
schedule.when	ngay nao ngan hang ve xa de dong lai
schedule.when	lich giao dich thang sau
schedule.where	diem giao dich o xa toi dat o dau, may gio mo cua
schedule.remind	toi muon duoc nhac truoc ngay giao dich
schedule.remind	dung nhac lich nua
contact	cho xin so dt phong giao dich huyen
contact	toi goi cho ai de hoi khoan vay cua minh
digital	cai app smartbanking ko duoc
digital	tra lai qua momo duoc k
blackcredit.signs	ngoai duong dan quang cao cho vay tien nhanh lai thap, co phai tin dung den ko
blackcredit.apps	toi vay app online 3 trieu, gio ho doi tra 6 trieu
blackcredit.victim	chu no cu goi dien chui boi va doa den nha
blackcredit.victim	bi giang ho doi no, con sot ruot qua
blackcredit.law	cho vay lai 5%/ngay co phai toi hinh su khong
report	toi can bao cao mot vu lua dao cho vay
report	toi muon to cao can bo xa an chan tien vay
report.status	to giac cua toi da co ket qua chua
misconduct.proxy	nguoi ta nho toi dung ten vay gium, gio ho khong tra
misconduct.embezzle	to truong thu lai cua ca to roi bo tron
misconduct.fees	muon vay phai chi tien cho can bo ho so moi duoc duyet
privacy	toi khong muon bot luu so dien thoai cua toi
help	alo
help	bot oi giup toi voi
none	hom nay xsmb ve con gi
none	vay mua xe oto lai suat thap
none	cach nau pho bo
none	gia xang hom nay
none	toi buon qua
"""
CASES = [tuple(line.split("\t")) for line in PARAPHRASES.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return load_matcher(DATA_DIR, TOPIC_IDS)


def test_required_examples(matcher: Matcher) -> None:
    assert matcher.match("vay von ho ngheo").topic == "program.poor"
    assert matcher.match("giá vàng hôm nay").topic == "none"
    assert matcher.match("lai suat vay bao nhieu").topic == "loan.interest"
    assert matcher.match("toi muon to cao to truong giu tien").topic in {
        "misconduct.embezzle",
        "report",
    }
    assert matcher.match("hello").topic == "help"
    assert matcher.match("bot lam duoc gi").topic == "help"
    assert matcher.match("thoi tiet ha noi").topic == "none"
    assert matcher.match("vay tin chap vietcombank").topic == "none"


def test_paraphrase_set_is_large_and_covers_every_topic() -> None:
    assert len(CASES) >= 200
    assert {topic for topic, _ in CASES} == TOPIC_IDS


def test_paraphrase_accuracy(matcher: Matcher) -> None:
    misses = [(t, q, matcher.match(q).topic) for t, q in CASES if matcher.match(q).topic != t]
    accuracy = 1 - len(misses) / len(CASES)
    assert accuracy >= 0.95, misses


@pytest.mark.parametrize(
    ("topic", "question"),
    [c for c in CASES if c[0] in {"none", "help", "report", "misconduct.embezzle"}],
)
def test_paraphrase_each(matcher: Matcher, topic: str, question: str) -> None:
    assert matcher.match(question).topic == topic


@pytest.mark.parametrize(
    ("with_marks", "without"),
    [
        ("Hộ cận nghèo vay được bao nhiêu", "ho can ngheo vay duoc bao nhieu"),
        ("Thủ tục vay vốn như thế nào", "thu tuc vay von nhu the nao"),
        ("Đường dây nóng ngân hàng chính sách", "duong day nong ngan hang chinh sach"),
        ("Bị đòi nợ đe dọa phải làm gì", "bi doi no de doa phai lam gi"),
        ("Người chấp hành xong án phạt tù vay vốn", "nguoi chap hanh xong an phat tu vay von"),
        ("Thời tiết Hà Nội hôm nay", "thoi tiet ha noi hom nay"),
    ],
)
def test_diacritics_do_not_matter(matcher: Matcher, with_marks: str, without: str) -> None:
    assert matcher.match(with_marks).topic == matcher.match(without).topic != ""
    assert matcher.match(with_marks.upper()).topic == matcher.match(without).topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("vay von ho nghoe", "program.poor"),  # swapped letters
        ("vay von ho ngeo", "program.poor"),  # missing letter
        ("vay vốn hộ ngheof", "program.poor"),  # Telex leftover
        ("vayvon honngheo can ngheo", "program.near_poor"),  # words run together
        ("lai xuat vay bao nhieu", "loan.interest"),
        ("lai suatt vay", "loan.interest"),
        ("thu tuc vay vonn", "loan.procedure"),
        ("tin dung dem la gi", "blackcredit.signs"),
        ("xuat khau lao dongg nhat ban", "program.labor_abroad"),
        ("the chapp so do", "loan.collateral"),
    ],
)
def test_typos(matcher: Matcher, question: str, topic: str) -> None:
    assert matcher.match(question).topic == topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("nhcsxh co nhung chuong trinh nao", "program.list"),
        ("vay hssv bi nhiu", "program.student"),
        ("di xkld can vay", "program.labor_abroad"),
        ("ho dtts vay von", "program.ethnic_minority"),
        ("vay sxkd vung kho khan", "program.difficult_area"),
        ("tổ tk&vv là gì", "group"),
        ("vay ngân hàng cs có cần cccd ko", "loan.documents"),
        ("hộ nghèo vay dzay được nhiêu", "program.poor"),
        ("vay ngân hàng có cần thế chấp hông", "loan.collateral"),
        ("mần ăn thua lỗ, tới hạn chưa có tiền trả nợ", "loan.overdue"),
    ],
)
def test_abbreviations_and_regional_words(matcher: Matcher, question: str, topic: str) -> None:
    assert matcher.match(question).topic == topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Hello, what can this bot do?", "help"),
        ("what is the interest rate of the loan", "loan.interest"),
        ("student loan for my daughter", "program.student"),
        ("how to spot a loan shark", "blackcredit.signs"),
        ("delete my personal data", "privacy"),
        ("what is the weather tomorrow", "none"),
    ],
)
def test_english(matcher: Matcher, question: str, topic: str) -> None:
    assert matcher.match(question).topic == topic


@pytest.mark.parametrize(
    "question",
    [
        "giá vàng hôm nay",
        "gia vang hom nay bao nhieu",
        "thoi tiet ha noi",
        "ket qua bong da",
        "vay tin chap vietcombank",
        "mở thẻ tín dụng Techcombank",
        "Agribank credit card",
        "cách nấu canh chua",
        "xo so mien bac hom nay",
        "",
        "   ",
        "???",
        "asdfgh qwerty",
    ],
)
def test_out_of_scope(matcher: Matcher, question: str) -> None:
    m = matcher.match(question)
    assert m.topic == "none"
    assert 0.0 <= m.score <= 1.0


def test_named_program_beats_general_loan_topic(matcher: Matcher) -> None:
    # labelling rule 1
    assert matcher.match("lãi suất vay hộ nghèo").topic == "program.poor"
    assert matcher.match("sinh vien vay toi da bao nhieu").topic == "program.student"
    assert matcher.match("ho so vay nuoc sach gom gi").topic == "program.clean_water"
    assert matcher.match("lai suat chung chung la bao nhieu").topic == "loan.interest"


def test_action_topics(matcher: Matcher) -> None:
    # labelling rule 3
    assert matcher.match("toi muon to giac nguoi cho vay nang lai").topic == "report"
    assert matcher.match("cho vay nang lai bi xu ly the nao").topic == "blackcredit.law"
    assert matcher.match("nhac toi ngay giao dich").topic == "schedule.remind"
    assert matcher.match("ngay giao dich la ngay nao").topic == "schedule.when"


def test_misconduct_versus_black_credit(matcher: Matcher) -> None:
    # labelling rule 4
    assert matcher.match("to truong thu tien khong nop ngan hang").topic == "misconduct.embezzle"
    assert matcher.match("can bo xa doi tien boi duong").topic == "misconduct.fees"
    assert matcher.match("chu no doi no de doa ca nha").topic == "blackcredit.victim"


def test_long_story_before_the_question(matcher: Matcher) -> None:
    story = (
        "Chào anh chị, nhà em ở xã miền núi, bố mẹ già yếu, em làm thuê kiếm sống qua ngày, "
        "năm ngoái nhà em được công nhận hộ cận nghèo. Giờ em muốn hỏi vay được bao nhiêu?"
    )
    assert matcher.match(story).topic == "program.near_poor"


def test_match_shape(matcher: Matcher) -> None:
    m = matcher.match("vay von ho ngheo")
    assert isinstance(m, Match)
    assert 0.0 < m.score <= 1.0
    assert m.topic not in m.alternatives
    assert len(m.alternatives) <= 3
    assert all(a in TOPIC_IDS and a != "none" for a in m.alternatives)
    with pytest.raises(AttributeError):
        m.topic = "help"  # type: ignore[misc]


def test_clear_question_has_no_alternatives(matcher: Matcher) -> None:
    assert matcher.match("đường dây nóng ngân hàng chính sách").alternatives == []


def test_ambiguous_question_offers_alternatives(matcher: Matcher) -> None:
    m = matcher.match("thủ tục và giấy tờ vay vốn")
    assert {m.topic, *m.alternatives} >= {"loan.procedure", "loan.documents"}


def test_clear_match_scores_higher_than_vague_one(matcher: Matcher) -> None:
    clear = matcher.match("vay xuất khẩu lao động Hàn Quốc")
    vague = matcher.match("hỏi chút về vay")
    assert clear.score > vague.score


def test_every_paraphrase_gives_valid_output(matcher: Matcher) -> None:
    for _, question in CASES:
        m = matcher.match(question)
        assert m.topic in TOPIC_IDS
        assert 0.0 <= m.score <= 1.0
        assert len(m.alternatives) <= 3


def test_match_is_fast(matcher: Matcher) -> None:
    questions = [q for _, q in CASES]
    for q in questions:  # warm the typo cache as the running bot would
        matcher.match(q)
    start = time.perf_counter()
    for q in questions:
        matcher.match(q)
    mean_ms = (time.perf_counter() - start) * 1000 / len(questions)
    assert mean_ms < 5


# -- data validation ----------------------------------------------------------------------
GOOD = """
settings: {none_threshold: 2}
topics:
  program.poor:
    phrases: {hộ nghèo: 5}
  help:
    phrases: {xin chào: 5}
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "matcher.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_minimal_valid_file(tmp_path: Path) -> None:
    m = load_matcher(_write(tmp_path, GOOD), {"program.poor", "help"})
    assert m.match("ho ngheo").topic == "program.poor"
    assert m.match("something else").topic == "none"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("program.poor:", "program.poorr:"), "topics.program.poorr: not a topic id"),
        (GOOD.replace("hộ nghèo: 5", "hộ nghèo: high"), "topics.program.poor.phrases.hộ nghèo"),
        (GOOD.replace("hộ nghèo: 5", "hộ nghèo: 0"), "must be non-zero"),
        (GOOD.replace("{hộ nghèo: 5}", "{hộ nghèo: 5, ho ngheo: 3}"), "duplicate phrase"),
        (GOOD.replace("phrases: {hộ nghèo: 5}", "phrasez: {}"), "program.poor.phrasez"),
        (GOOD.replace("phrases: {hộ nghèo: 5}", "examples: []"), "neither phrases nor"),
        (GOOD.replace("none_threshold: 2", "none_treshold: 2"), "settings.none_treshold"),
        (GOOD.replace("none_threshold: 2", "none_threshold: -1"), "outside"),
        (GOOD + "colour: red\n", "colour: unknown key"),
        (GOOD + "expansions: {ko: không, kó: khác}\n", "expansions.kó"),
        (GOOD + "precedence: [{when: [loan.*], damp: [help], factor: 0.5}]\n", "loan.*"),
        (GOOD + "precedence: [{when: [help], damp: [help], factor: 2}]\n", "factor"),
        (
            GOOD + "precedence: [{when: [help], damp: [help], factor: 0.5, min_ratio: -1}]\n",
            "min_ratio",
        ),
        (GOOD + "precedence: [{when: [help], factor: 0.5}]\n", "precedence[0].damp"),
        (GOOD.replace("{hộ nghèo: 5}", '{"@nobody + nghèo": 5}'), "unknown word set '@nobody'"),
        (GOOD.replace("{hộ nghèo: 5}", '{"hộ | nghèo": 5}'), "only work inside"),
        (GOOD + "word_sets: {Bad-Name: [a]}\n", "word_sets.Bad-Name"),
        (GOOD + "word_sets: {empty: []}\n", "empty word set"),
        ("topics: [a, b]\n", "topics: must be a mapping"),
        ("topics: {help: {phrases: {a: 1}\n", "not valid YAML"),
        ("[1, 2]\n", "(top level): must be a mapping, got list"),
        (GOOD.replace("hộ nghèo: 5", "hộ nghèo: true"), "phrases.hộ nghèo: must be a number"),
        (GOOD.replace("none_threshold: 2", "none_threshold: '2'"), "must be a number, got str"),
        (GOOD + "precedence: [{when: 5, damp: help, factor: 0.5}]\n", "precedence[0].when: "),
        (GOOD + "accented: {'!!': x}\n", "accented.!!: key has no letters or digits"),
        (GOOD + "common_words: [a, 3]\n", "common_words[1]: must be a text"),
        (
            GOOD.replace("{hộ nghèo: 5}", "{hộ nghèo: 5}\n    examples: [a, '...']"),
            "topics.program.poor.examples[1]: example has no words",
        ),
    ],
)
def test_bad_data_is_rejected(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"matcher\.yaml") as info:
        load_matcher(_write(tmp_path, text), {"program.poor", "help"})
    assert message in str(info.value)


def test_empty_sections_and_number_phrases_are_fine(tmp_path: Path) -> None:
    text = GOOD.replace("{hộ nghèo: 5}", "{hộ nghèo: 5, 1719: 4}") + "accented:\nprecedence:\n"
    m = load_matcher(_write(tmp_path, text), {"program.poor", "help"})
    assert m.match("quyet dinh 1719").topic == "program.poor"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"matcher\.yaml: file is missing"):
        load_matcher(tmp_path, {"help"})


def test_shipped_data_rejects_unknown_topic_set() -> None:
    with pytest.raises(ValueError, match=r"matcher\.yaml: topics\.\S+: not a topic id"):
        load_matcher(DATA_DIR, {"help"})


def test_number_placeholder_needs_a_number(tmp_path: Path) -> None:
    text = GOOD.replace("{hộ nghèo: 5}", '{hộ nghèo: 5, "thuê thêm # người": 5}')
    m = load_matcher(_write(tmp_path, text), {"program.poor", "help"})
    assert m.match("thue them 3 nguoi").topic == "program.poor"
    assert m.match("thue them nguoi").topic == "none"


def test_word_sets_and_alternatives(tmp_path: Path) -> None:
    text = (
        GOOD.replace(
            "{hộ nghèo: 5}", '{hộ nghèo: 5, "@person + bỏ trốn | đi mất": 5, "hộ nghèo + chết": -5}'
        )
        + "word_sets: {person: [tổ trưởng, trưởng thôn]}\n"
    )
    m = load_matcher(_write(tmp_path, text), {"program.poor", "help"})
    assert m.match("truong thon thu tien roi di mat").topic == "program.poor"
    assert m.match("to truong bo tron").topic == "program.poor"
    assert m.match("to truong thu tien").topic == "none"  # the person alone is not enough
    assert m.match("ho ngheo chet").topic == "none"  # a negative weight takes away


# concepts where a person and an action must meet (written for these tests)
@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("trưởng xóm gom tiền lãi các hộ vay rồi mất tích", "misconduct.embezzle"),
        ("toi da gui tien goc cho to truong nhung ngan hang van bao no", "misconduct.embezzle"),
        ("ong truong ban cam so vay cua ca ban khong tra", "misconduct.embezzle"),
        ("trưởng thôn đòi 1 triệu mới ký đơn vay cho tôi", "misconduct.fees"),
        ("to truong bat moi ho nop 200 nghin moi dua ho so len", "misconduct.fees"),
        ("tổ trưởng có được nhận hoa hồng từ ngân hàng không", "group"),
        ("admin có xem được những gì tôi nhắn không", "privacy"),
        ("cho vay nặng lãi bị tù bao nhiêu năm", "blackcredit.law"),
        ("cho vay 2 nghìn 1 triệu 1 ngày có phạm luật không", "blackcredit.law"),
        ("vay trên app, họ bảo sai số tài khoản phải chuyển thêm 3 triệu", "blackcredit.apps"),
        ("zalo lạ nhắn tin mời tôi vay 50 triệu lãi thấp", "blackcredit.apps"),
        ("nguoi o tinh khac den lam an, chi co tam tru, co vay duoc khong", "eligibility"),
        ("16 tuổi vay vốn được không", "eligibility"),
        ("chồng tôi đứng tên vay, anh ấy mất rồi, tôi có phải trả không", "loan.risk"),
        ("hong co tien tra goc ky nay, doi qua vu sau dc hong", "loan.overdue"),
        ("trận Việt Nam Thái Lan tối nay mấy giờ đá", "none"),
        ("tố giác bữa trước của tôi sao rồi", "report.status"),
    ],
)
def test_person_and_action_concepts(matcher: Matcher, question: str, topic: str) -> None:
    assert matcher.match(question).topic == topic


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("xung", True),
        ("tiep", True),
        ("nguyen", True),
        ("nghieng", True),
        ("ngeo", False),  # "ng" before "e" is written "ngh": a typo of "ngheo"
        ("nghoe", False),
        ("vonn", False),
        ("thpt", False),
    ],
)
def test_syllable_shape(word: str, expected: bool) -> None:
    assert _is_syllable(word) is expected


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # ordinary words are not bent into cue words ("xung" -> "xuong", "chip" -> "chap")
        ("co nguoi goi tu xung cong an bao toi lien quan rua tien", "none"),
        ("lam cccd gan chip o dau", "none"),
        # "lại" typed without diacritics after a verb is not "lãi"
        ("nha cu qua muon vay xay lai can nha", "program.social_housing"),
        # "vậy" typed without diacritics at the end is not "vay"
        ("nhcs co may loai cho vay vay, ke ra giup em", "program.list"),
    ],
)
def test_ordinary_words_and_fillers(matcher: Matcher, question: str, topic: str) -> None:
    assert matcher.match(question).topic == topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # a report sent earlier and what became of it; wanting to send one is a new report
        ("cái tố cáo tháng trước em gửi giờ sao rồi ad", "report.status"),
        ("don khieu nai cua toi gui tu dau thang toi gio chua thay ai tra loi", "report.status"),
        ("tôi muốn tố cáo tổ trưởng, tháng trước tôi gửi tiền mà không thấy ghi sổ", "report"),
        # the transaction day under other names; "tell me beforehand" is the reminder
        ("phien giao dich toi o xa minh la bua nao", "schedule.when"),
        ("lần giao dịch kế tiếp của ngân hàng ở thôn em là khi nào", "schedule.when"),
        ("tới ngày giao dịch thì báo giùm tui nha", "schedule.remind"),
        ("ngân hàng về xã thì nhắn cho em biết trước với", "schedule.remind"),
        # not knowing how to use the bot
        ("tôi không biết xài cái bot này", "help"),
        # a daily-installment loan told by its terms
        ("cho vay 20 triệu mà đưa 17 triệu, trả góp mỗi ngày 500 nghìn", "blackcredit.signs"),
        ("ho cat lai truoc roi moi dua tien, gop hang ngay", "blackcredit.signs"),
        # collectors shaming the borrower, even one who is late
        ("em trễ hạn 2 hôm mà tụi cho vay gọi điện cho cả họ hàng, chửi bới", "blackcredit.victim"),
        ("bọn nó ghép hình em rồi gửi vào nhóm zalo của cơ quan", "blackcredit.victim"),
        # a kickback to an official; signing a loan whose money the official then takes
        ("xin vay mà phải lót tay cán bộ xã vài triệu", "misconduct.fees"),
        ("trưởng ấp kêu tôi đứng tên vay rồi ổng lấy hết tiền", "misconduct.proxy"),
        ("bà hội trưởng nhờ em ký giấy vay giùm, tiền bả cầm luôn", "misconduct.proxy"),
        # how long the loan runs; asking for more time is overdue
        ("khoản vay kéo dài bao lâu", "loan.term"),
        ("xin kéo dài thời hạn trả nợ được không", "loan.overdue"),
        # left the poor list
        ("nhà em hết hộ nghèo năm ngoái, còn vay được không", "program.escaped_poverty"),
        # land papers, currencies and family quarrels are out of scope
        ("thu tuc lam so do o dau", "none"),
        ("usd to vnd today", "none"),
        ("hai vợ chồng hay cãi nhau, muốn ly thân thì làm giấy tờ gì", "none"),
        # ... while the land title as collateral is not
        ("đang làm sổ đỏ chưa có thì vay thế chấp được không", "loan.collateral"),
        # words that read differently without diacritics: "đòi tiền" is not "đổi tiền",
        # "vay hộ nghèo" is not "vay hộ", "nhau" is not "nhậu", "ngân hàng về ..." is "about"
        ("tôi muốn phản ánh tổ trưởng đòi tiền lúc nộp đơn vay", "report"),
        ("nhà nghèo khó quá, cùng nhau vay vốn nuôi heo được không", "program.poor"),
        ("hỏi ngân hàng về vay hộ nghèo", "program.poor"),
        ("lãi suất ngân hàng xuống chưa", "loan.interest"),
    ],
)
def test_concepts_from_the_fifth_set(matcher: Matcher, question: str, topic: str) -> None:
    assert matcher.match(question).topic == topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # a person describing age, income or trade, then asking if the bank will lend
        ("bà ngoại em 70 tuổi ở một mình có vay được không", "eligibility"),
        ("em chạy xe ôm, thu nhập không ổn định, đủ điều kiện vay không ạ", "eligibility"),
        ("chị bán rong ngoài chợ, liệu ngân hàng có cho vay hông", "eligibility"),
        # ... a named program still wins (rule 1)
        ("chồng em đi làm thuê, có được vay hộ nghèo không", "program.poor"),
        # the kinds of loan in other words; the kinds of papers are documents
        ("ngân hàng có cho vay những thứ gì", "program.list"),
        ("cho vay mấy kiểu vậy ad", "program.list"),
        ("cần những loại giấy tờ gì để vay vốn", "loan.documents"),
        # putting small sums aside through the group
        ("mỗi tháng dành dụm trăm nghìn gửi tổ trưởng có được không", "savings"),
        ("ngân hàng có nhận tiết kiệm qua tổ vay vốn không", "savings"),
        # a stranger wants a fee first; a group leader asking for it is misconduct
        (
            "trên facebook có người bảo đóng phí giải ngân 2 triệu rồi mới chuyển tiền vay",
            "blackcredit.apps",
        ),
        ("bà tổ phó bắt nộp phí hồ sơ nửa triệu thì mới làm đơn vay", "misconduct.fees"),
        ("trả lãi online được không", "digital"),
        # how interest is computed
        ("bên mình áp dụng dư nợ giảm dần khi tính tiền lãi à", "loan.interest"),
        ("lãi đóng theo số còn nợ hay theo cả khoản vay", "loan.interest"),
        # a story, then "I want to report it": the action (rule 3)
        ("cán bộ xã đòi tiền bồi dưỡng, em muốn phản ánh lên cấp trên", "report"),
        # a residential group's neighbourhood money and the weather are out of scope ...
        ("khu phố thu tiền đèn đường mỗi hộ 50 nghìn", "none"),
        ("chiều nay trời có nắng hông bạn", "none"),
        # ... but rain that ruined the crops is a loan risk, and such a head may sign papers
        ("trời mưa mấy ngày ngập chết cả đàn vịt, nợ vay được xử lý sao", "loan.risk"),
        ("hồ sơ vay có cần tổ trưởng dân phố xác nhận không", "loan.documents"),
    ],
)
def test_concepts_from_the_sixth_set(matcher: Matcher, question: str, topic: str) -> None:
    assert matcher.match(question).topic == topic


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        # paying interest through the group leader is the normal way (loan.repayment), but
        # stories of group leaders and money are misconduct in most training messages
        ("tôi đóng lãi cho tổ trưởng được không", "loan.repayment"),
        # a stranger's call asking a fee is the apps scam; the model reads misconduct.fees
        ("có số lạ gọi điện bảo phải đóng phí hồ sơ trước mới duyệt khoản vay", "blackcredit.apps"),
        # "I want to tell the police" is report; the model hears the victim's story first
        ("chủ nợ app gọi khủng bố người thân, tôi muốn báo công an", "report"),
        # repaying our loan from afar, also for a parent: digital and loan.repayment
        ("con gái tôi ở Sài Gòn chuyển khoản trả nợ giúp mẹ được không", "digital"),
        # a private loan (blackcredit.law) told beside the gold price (rule 5's none)
        (
            "Tôi cho người quen mượn tiền mua đất, 100 triệu, giờ giá vàng tăng mà anh ta chưa "
            "trả đồng nào.",
            "blackcredit.law",
        ),
    ],
)
def test_close_calls_keep_the_cue_topic_one_tap_away(
    matcher: Matcher, question: str, topic: str
) -> None:
    """Where the labelling rules draw a fine line that the cue phrases encode and the model's
    training messages blur, the answer may differ, but the rule's topic is a choice under it."""
    match = matcher.match(question)
    assert topic == match.topic or topic in match.alternatives[:2], match


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        # private lending between people is the law on lending (and the police), not a program
        (
            "Năm ngoái đứa bạn cùng lớp hỏi mượn tôi 20 triệu để sửa nhà, hẹn Tết trả. "
            "Giờ nó không trả, gọi thì tắt máy. Tôi nên làm gì?",
            "blackcredit.law",
        ),
        (
            "Chi hang xom vay cua me toi 40 trieu, lai 3% thang, gio chi ay khat mai khong tra. "
            "Me toi co kien duoc khong?",
            "blackcredit.law",
        ),
        # threats told as a story
        (
            "Mấy hôm nay số máy lạ gọi liên tục hù dọa, bảo sẽ tới nhà. Em sợ lắm.",
            "blackcredit.victim",
        ),
        ("vay 3 triệu mà bị trừ phí còn 2 triệu, lãi chồng lãi", "blackcredit.signs"),
        (
            "Chúng nó gọi điện thoại liên tục cho cả nhà, có hôm cả chục cuộc, tôi không dám "
            "nghe máy nữa.",
            "blackcredit.victim",
        ),
        ("Em trai tôi lén vay tiền qua ứng dụng, giờ nợ gấp ba.", "blackcredit.apps"),
        # papers signed "to receive support" that were a loan taken in the signer's name
        (
            "Năm ngoái trưởng thôn bảo mẹ tôi ký vào giấy để nhận hỗ trợ, sau này mới biết "
            "đó là hợp đồng vay 30 triệu, mẹ tôi không hề nhận đồng nào.",
            "misconduct.proxy",
        ),
        # words that read otherwise without diacritics ("ban" board, "muon" want, "chan"
        # leg, "co" has) do not make a story of private lending
        (
            "Thưa ban, nhà tôi muốn vay mua con trâu, chồng bị gãy chân không làm được nữa. "
            "Hộ nghèo vay thế nào?",
            "program.poor",
        ),
        (
            "Nhà không có sổ đỏ thì có bị đòi tài sản bảo đảm mới cho vay không",
            "loan.collateral",
        ),
    ],
)
def test_private_lending_and_threat_stories(matcher: Matcher, message: str, topic: str) -> None:
    assert matcher.match(message).topic == topic


def test_one_stray_out_of_scope_word_does_not_silence_a_story(matcher: Matcher) -> None:
    # rule 5 ("... là gì" of something out of scope) gives way when the story says much
    # more about a topic; a short out-of-scope question still gets none
    story = (
        "Mẹ tôi 58 tuổi. Em trai tải hộ mẹ một app vay tiền, vay 4 triệu, giờ app gọi đến máy "
        "mẹ mỗi ngày đòi 10 triệu. Mẹ không biết app đó là gì, có phải trả không?"
    )
    assert matcher.match(story).topic == "blackcredit.apps"
    assert matcher.match("vay thế chấp sổ đỏ ở ngân hàng thương mại được bao nhiêu").topic == (
        "none"
    )


@pytest.mark.parametrize(
    ("message", "out_of_scope"),
    [
        # "đô la" (dollar) and "bằng lái" (driving licence) are out of scope; folded they would
        # read "đó là" (that is) and "bằng lãi" (by the interest), words of any loan story
        ("đổi đô la ở đâu giá tốt", True),
        ("doi do la o dau", True),
        ("thi bằng lái xe máy ở đâu", True),
        ("Nó bảo số tiền đó là tôi cho chứ không phải cho vay", False),
        ("Bà ấy dụ mọi người gửi tiền bằng lãi suất thật cao rồi bỏ trốn", False),
    ],
)
def test_words_that_fold_alike_keep_their_cue(
    matcher: Matcher, message: str, out_of_scope: bool
) -> None:
    assert ("none" in matcher.raw_scores(message)) is out_of_scope


@pytest.mark.parametrize(
    ("message", "overdue"),
    [
        # "dời" (put off) is overdue; folded it was also "đòi" (demand), "đời" (life)
        ("xin dời ngày trả được không", True),
        ("cho em dời lại ít hôm", True),
        ("tụi nó đòi tiền mỗi ngày", False),
        ("cả đời tôi chưa gặp chuyện này", False),
    ],
)
def test_putting_off_is_not_demanding(matcher: Matcher, message: str, overdue: bool) -> None:
    assert ("loan.overdue" in matcher.raw_scores(message)) is overdue


# Written with diacritics, a message is read with them: a cue written with diacritics counts
# only where the message's words carry the same ones. Each pair below folds to the same
# letters (bench/fold_collisions.py lists them from the training messages and content texts);
# the first message of each has the cue's word, the second another word.
@pytest.mark.parametrize(
    ("topic", "with_cue", "other_word"),
    [
        # "tối đa" (at most) / "tôi đã" (I have)
        ("loan.amount", "Hộ nghèo vay tối đa bao nhiêu", "Tôi đã nộp đủ giấy tờ cho tổ"),
        # "sập" (collapse) / "sắp" (about to)
        ("loan.risk", "Bão làm sập nhà tôi, còn nợ ngân hàng", "Nhà tôi sắp đến hạn trả nợ"),
        # "dột" (leaking roof) / "đợt" (round), "đột" (sudden)
        (
            "program.social_housing",
            "Nhà dột nát, vay sửa nhà được không",
            "Đợt này có cho vay không",
        ),
        ("program.social_housing", "Nhà dột nát, vay sửa nhà được không", "Anh ấy đột ngột bỏ đi"),
        # "bỏ chồng" (leave one's husband) / "bố chồng" (father-in-law)
        ("none", "Bỏ chồng thì con ở với ai", "Bố chồng tôi muốn vay vốn chăn nuôi"),
        # "kiện" (sue) / "kiến nghị" (petition)
        ("blackcredit.law", "Tôi muốn kiện người vay không trả", "Kiến nghị ngân hàng xem xét"),
        # "cháy" (fire) / "chạy" (run)
        ("loan.risk", "Nhà bị cháy hết, nợ ngân hàng chưa trả", "Nó chạy xe qua nhà tôi mỗi ngày"),
        # "tới hạn" (falls due) / "tụi hắn" (those guys)
        ("loan.overdue", "Khoản vay tới hạn mà chưa có tiền", "Tụi hắn đến nhà chửi bới"),
        # "hoãn" (postpone) / "hoàn" (complete)
        ("loan.overdue", "Xin hoãn trả nợ được không", "Tôi đã hoàn thành hồ sơ"),
        # in an "a + b" cue: "thì mới" (only then) / "thì mỗi" (then each)
        (
            "misconduct.fees",
            "Phải đưa 2 triệu thì mới cho vay chừng mô",
            "Vay 20 triệu thì mỗi năm đóng lãi chừng mô",
        ),
    ],
)
def test_words_with_other_diacritics_do_not_fire_a_cue(
    matcher: Matcher, topic: str, with_cue: str, other_word: str
) -> None:
    assert topic in matcher.raw_scores(with_cue)
    assert topic not in matcher.raw_scores(other_word)
    # typed without diacritics, both read as today: the cue cannot tell them apart
    assert topic in matcher.raw_scores(strip_diacritics(with_cue))
    assert topic in matcher.raw_scores(strip_diacritics(other_word))


def test_diacritics_in_a_message_typed_without_them_are_not_read(matcher: Matcher) -> None:
    # most words bare: the one accented word does not make the message "written with them"
    assert "loan.amount" in matcher.raw_scores("ho ngheo vay toi đa bao nhieu")
    assert "loan.amount" in matcher.raw_scores("Hộ nghèo vay toi da bao nhiêu")  # two bare words


def test_old_and_new_tone_placement_match_alike(matcher: Matcher) -> None:
    # the cues write "dọa", "xóa"; many phones write "doạ", "xoá"
    for new, old in [
        ("Tụi nó dọa đánh tôi vì chưa trả nợ", "Tụi nó doạ đánh tôi vì chưa trả nợ"),
        ("Xin xóa nợ cho nhà tôi", "Xin xoá nợ cho nhà tôi"),
    ]:
        assert matcher.raw_scores(new) == matcher.raw_scores(old) != {}
