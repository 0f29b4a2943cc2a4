"""Prose that looks like real chat text, built from word lists in several scripts.

Tokenizers are much slower on random bytes than on words, and much faster on one
repeated word, so the benchmark data is made of sentences: words drawn with
Zipf-like frequencies, punctuation, numbers, names, the odd emoji, Markdown lists
and code blocks. Everything is driven by the ``random.Random`` passed in, so the
same seed gives the same text.
"""

from __future__ import annotations

import random
from itertools import accumulate

_EN = """the of and to a in is that for it as was with be by on not he this are or his from at which but have an
they you were her she there been one all we their has would when if so no what up out who them some can more about
into than its only other time new these two may first then do any like my now over such our man me even most made
after also did many before must through back years where much your way well down should because each just those
people how too little state good very make world still own see men work long here get both between life being under
never day same another know while last might us great old year off come since against go came right used take three
states himself few house use during without again place american around however home small found thought went say
part once general high upon school every does got united left number course war until always away something fact
though water less public put think almost hand enough far took head yet government system better set told nothing
night end why called didn eyes find going look asked later knew point next program city business give group toward
young days let room president side social present given several order national possible rather second face per
among form important often things looking early white case john become large big need four within felt along
children saw best church ever least power development light thing seemed family interest want members mind country
area others done turned although open god service certain kind problem began different door thus help means sense
whole matter perhaps itself york times law human line above name example action company hands local show whether
five history gave today either act feet across taken past quite anything having seen death experience body word
half really week field car words already themselves information tell college shall money period together held keep
sure probably free seems political real behind cannot miss question air office making brought whose special heard
major problems ago became federal moment study available known result street economic boy position reason change
south board individual job areas society west close turn love community true court force full seem am age wife
future voice center woman control common necessary policy following front sometimes six girl clear further land
run students provide feel party able mother music education university child effect level stood military short town
morning total outside rate figure class art century washington north usually plan leave therefore evidence million
sound top black strong hard various says believe type value play surface soon mean near lines table peace modern
tax road red personal process situation minutes increase schools idea english alone women gone nor living months
america started longer dark private model data training dataset fine tuning assistant answer question prompt token
tokens file files line lines record records error errors warning check checks validation schema format json jsonl
python script function functions tool tools call calls weather temperature forecast stock price order shipping
customer support refund account password email invoice balance payment flight hotel booking reservation recipe
chemistry element elements periodic table atom atoms molecule electron proton neutron reaction energy""".split()

_EN_RARE = """photosynthesis electroluminescence thermodynamics incompatibility serialization deserialization
misconfiguration interoperability authentication authorization idempotency backpropagation regularization
hyperparameter tokenization lemmatization disambiguation electrochemistry spectrophotometry crystallography
immunohistochemistry neurotransmitter mitochondrial phosphorylation cardiovascular gastroenterology
microarchitecture virtualization containerization orchestration observability reproducibility extensibility
cryptocurrency decentralization internationalization localization accessibility responsiveness
Kubernetes PostgreSQL TypeScript JavaScript WebSocket GraphQL OAuth2 PyTorch TensorFlow NumPy Pandas""".split()

_NAMES = """Alice Bob Carol David Emma Farid Gabriela Hiroshi Ingrid Jamal Keiko Lars Mei Nikolai Olivia Priya Quentin
Rosa Sven Tariq Ursula Vikram Wen Ximena Yusuf Zofia Zürich München São Paulo Kraków Reykjavík Paris Tokyo Seoul
Beijing Shanghai Lagos Nairobi Lima Toronto Sydney Berlin Madrid Lisbon Oslo Helsinki""".split()

_ZH = """我们 你们 他们 今天 明天 昨天 时间 问题 方法 数据 模型 训练 文件 系统 用户 助手 回答 问题 天气 温度 城市 北京 上海
公司 产品 价格 订单 客户 服务 支持 退款 账户 密码 邮件 发票 支付 航班 酒店 预订 菜谱 化学 元素 周期表 原子 分子
电子 质子 中子 反应 能量 学习 研究 发展 经济 社会 文化 历史 科学 技术 工程 数学 物理 生物 医学 教育 学生 老师 学校
大学 图书馆 电脑 手机 网络 软件 硬件 程序 代码 函数 变量 错误 警告 检查 验证 格式 结果 信息 内容 消息 工具 调用 参数
非常 可以 需要 应该 已经 正在 如果 因为 所以 但是 而且 或者 虽然 然后 首先 其次 最后 一个 这个 那个 什么 怎么 为什么
的 了 是 在 有 和 就 不 也 都 很 到 说 要 去 会 着 看 好 这 那 你 我 他 她 它 人 大 小 多 少 上 下 中 年 月 日""".split()

_JA = """私 あなた 今日 明日 昨日 時間 問題 方法 データ モデル 学習 ファイル システム ユーザー アシスタント 回答 天気
気温 東京 大阪 会社 製品 価格 注文 お客様 サービス サポート 返金 アカウント パスワード メール 請求書 支払い 飛行機
ホテル 予約 レシピ 化学 元素 周期表 原子 分子 電子 反応 エネルギー 研究 経済 社会 文化 歴史 科学 技術 数学 物理
学生 先生 学校 大学 図書館 コンピューター 携帯 ネットワーク ソフトウェア プログラム コード 関数 変数 エラー 警告
確認 検証 形式 結果 情報 内容 メッセージ ツール とても できます 必要 もう 今 もし だから しかし そして または
は が を に で と の も から まで より です ます でした ません ください について として による""".split()

_KO = """저는 당신 오늘 내일 어제 시간 문제 방법 데이터 모델 학습 파일 시스템 사용자 도우미 답변 날씨 기온 서울 부산
회사 제품 가격 주문 고객 서비스 지원 환불 계정 비밀번호 이메일 청구서 결제 항공편 호텔 예약 요리법 화학 원소
주기율표 원자 분자 전자 반응 에너지 연구 경제 사회 문화 역사 과학 기술 수학 물리 학생 선생님 학교 대학교 도서관
컴퓨터 휴대폰 네트워크 소프트웨어 프로그램 코드 함수 변수 오류 경고 확인 검증 형식 결과 정보 내용 메시지 도구
매우 할 수 있습니다 필요합니다 이미 지금 만약 그래서 하지만 그리고 또는 은 는 이 가 을 를 에 에서 와 과 의 도""".split()

_ES = """el la los las de del y en que un una es por con para como más pero sus le ya o este sí porque esta entre cuando
muy sin sobre también me hasta hay donde quien desde todo nos durante todos uno les ni contra otros ese eso ante ellos
tiempo año día vez cosa hombre mujer mundo vida parte país caso forma ciudad trabajo gobierno información pregunta
respuesta datos modelo entrenamiento archivo error sistema usuario asistente clima temperatura pedido cliente
reembolso cuenta contraseña correo factura pago vuelo hotel reserva receta química elemento átomo molécula energía
niño señor región está también además después según así aquí allí mañana pequeño económico política""".split()

_FR = """le la les de des du et en un une est que qui dans pour pas sur au avec ce il elle ne se plus par mais ou son
sont nous vous ils leur été être avoir fait comme tout bien où sans très aussi même après avant encore toujours
temps année jour fois chose homme femme monde vie partie pays cas façon ville travail gouvernement information
question réponse données modèle entraînement fichier erreur système utilisateur assistant météo température commande
client remboursement compte mot passe courriel facture paiement vol hôtel réservation recette chimie élément atome
molécule énergie déjà là-bas peut-être français étudiant université théâtre naïve Noël forêt château""".split()

_DE = """der die das und in den von zu mit sich des auf für ist im dem nicht ein eine als auch es an werden aus er hat
dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur oder aber vor zur bis mehr durch
Zeit Jahr Tag Mal Sache Mann Frau Welt Leben Teil Land Fall Art Stadt Arbeit Regierung Information Frage Antwort Daten
Modell Training Datei Fehler System Benutzer Assistent Wetter Temperatur Bestellung Kunde Rückerstattung Konto
Passwort Rechnung Zahlung Flug Hotel Reservierung Rezept Chemie Element Atom Molekül Energie Straße größer schön
Übersetzung Überprüfung Schlüssel Größe Fußball Geschwindigkeitsbegrenzung Donaudampfschifffahrt""".split()

_RU = """и в не на я быть он с что а по это она этот к но они мы как из у который то за свой что весь год от так о
для ты же все тот мочь вы человек такой его сказать только или ещё бы себя один как уже до время если сам когда
другой вот говорить наш мой знать стать при чтобы дело жизнь кто первый очень два день её новый рука даже во со раз
где там под можно ну какой после их работа без самый потом надо хотеть ли слово идти большой должен место иметь
данные модель обучение файл ошибка система пользователь помощник погода температура заказ клиент возврат""".split()

_EMOJI = """😀 😂 🙂 😉 😊 😍 🤔 😅 🙏 👍 👏 🎉 🔥 ✨ 🚀 💡 ✅ ❌ ⚠️ 📌 📎 📊 🧪 ⚛️ 🌍 🌧️ ☀️ 🍜 🍣 ☕ 🐍 🤖 💬 ❤️ 👋
🇯🇵 🇫🇷 🇧🇷 👩‍💻 👨‍👩‍👧 🏳️‍🌈""".split()


def _zipf(words: list[str], s: float = 1.0) -> tuple[list[str], list[float]]:
    return words, list(accumulate(1.0 / (i + 1) ** s for i in range(len(words))))


_SPACED = {
    "en": _zipf(_EN), "es": _zipf(_ES), "fr": _zipf(_FR), "de": _zipf(_DE), "ru": _zipf(_RU), "ko": _zipf(_KO),
}
_UNSPACED = {"zh": (_zipf(_ZH, 0.8), "，", "。？！"), "ja": (_zipf(_JA, 0.8), "、", "。？！")}
# share of text written in each language (the rest of the mix: code, lists)
LANGUAGES = ("en", "zh", "ja", "ko", "es", "fr", "de", "ru")
LANGUAGE_WEIGHTS = (70, 8, 5, 3, 5, 4, 3, 2)


def sentence(rng: random.Random, lang: str) -> str:
    """One sentence of 4..30 words in ``lang``."""
    n = max(3, int(rng.lognormvariate(2.5, 0.45)))
    if lang in _UNSPACED:
        (words, cw), comma, ends = _UNSPACED[lang]
        parts = rng.choices(words, cum_weights=cw, k=n)
        if n > 8:
            parts.insert(rng.randrange(3, n - 2), comma)
        if rng.random() < 0.05:
            parts.append(rng.choice(_EMOJI))
        return "".join(parts) + rng.choice(ends)
    words, cw = _SPACED[lang]
    parts = rng.choices(words, cum_weights=cw, k=n)
    if lang == "en" and rng.random() < 0.3:
        parts[rng.randrange(n)] = rng.choice(_EN_RARE)
    if rng.random() < 0.15:
        parts[rng.randrange(n)] = rng.choice(_NAMES)
    if rng.random() < 0.1:
        parts[rng.randrange(n)] = str(rng.choice((rng.randrange(100), rng.randrange(10_000), round(rng.uniform(0, 999), 2))))
    if n > 10 and rng.random() < 0.5:
        i = rng.randrange(2, n - 2)
        parts[i] += ","
    if rng.random() < 0.04:
        parts.append(rng.choice(_EMOJI))
    text = " ".join(parts)
    return text[0].upper() + text[1:] + rng.choice(".....?!")


def paragraph(rng: random.Random, lang: str, sentences: int) -> str:
    """``sentences`` sentences in one language, joined as a paragraph."""
    sep = "" if lang in _UNSPACED else " "
    return sep.join(sentence(rng, lang) for _ in range(sentences))


def code_block(rng: random.Random) -> str:
    """A short fenced Python snippet with made-up identifiers."""
    words = rng.choices(_EN[:300], k=8)
    fn = f"{words[0]}_{words[1]}"
    lines = [f"def {fn}({words[2]}: list[str], {words[3]}: int = {rng.randrange(1, 100)}) -> dict[str, int]:",
             f'    """{sentence(rng, "en")}"""',
             f"    {words[4]} = {{}}",
             f"    for {words[5]} in {words[2]}[:{words[3]}]:",
             f"        {words[4]}[{words[5]}] = len({words[5]}) * {rng.randrange(2, 9)}",
             f"    return {words[4]}"]
    return "```python\n" + "\n".join(lines) + "\n```"


def text(rng: random.Random, words: int, lang: str | None = None) -> str:
    """About ``words`` words of prose in ``lang`` (or a random language): paragraphs, lists, code."""
    lang = lang or rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]
    budget = max(1, words // 13)  # sentences average ~13 words
    blocks: list[str] = []
    while budget > 0:
        roll = rng.random()
        if roll < 0.06 and budget > 3:
            blocks.append(code_block(rng))
            budget -= 4
        elif roll < 0.14 and budget > 3:
            k = rng.randrange(2, 6)
            blocks.append("\n".join(f"{i + 1}. {sentence(rng, lang)}" for i in range(k)))
            budget -= k
        else:
            k = min(budget, rng.randrange(1, 7))
            blocks.append(paragraph(rng, lang, k))
            budget -= k
    return "\n\n".join(blocks)


def short_name(rng: random.Random) -> str:
    """A participant name matching ``^[a-zA-Z0-9_-]{1,64}$``."""
    return f"{rng.choice(_NAMES[:24]).lower()}_{rng.randrange(1000)}"


def identifier(rng: random.Random, parts: int = 2) -> str:
    """A snake_case identifier made of common English words."""
    return "_".join(rng.choices(_EN[100:400], k=parts))


def word(rng: random.Random) -> str:
    """One common English word."""
    return rng.choice(_EN[:400])
