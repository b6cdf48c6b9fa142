"""Chinese and Japanese test sentences and pymilvus.model's zh and jp analyzers as references, for the segmenter
equality tests (tests/unit/test_segmenters_zh_ja.py, test_segmenters_ja.py) and bench/bench_cjk.py.

Chinese: about a hundred sentences written for these tests (news, technology, daily life, numbers, English and
traditional characters mixed in), then jieba's own classic test sentences (jieba's test/test.py, MIT), which
exercise its ambiguities and the HMM path for unknown words, then harder cases: decimals, versions and percents,
full-width letters and digits, symbols inside words, Han characters outside jieba's range, a run of rare
characters the HMM barely knows, and repeated characters, whose routes tie. Japanese: sentences written for these
tests, with pymilvus.model's filtered characters (、。「」『』【】（）・ー…) and full-width letters, then harder
cases for MeCab: kana ambiguities and tongue twisters, long katakana and unknown-word runs, half-width katakana,
full-width digits and symbols, emoji, URLs and mixed whitespace.

The references are pymilvus.model's analyzers for real when NLTK's stopword corpus is on this machine (its
StopwordFilter needs it and would try to download it otherwise). Without it, they are its pipeline rebuilt from
its source (tokenizers.py, lang.yaml) with the same libraries: ``jieba.lcut`` or a fresh
``MeCab.Tagger("-Owakati")`` per text, lang.yaml's character and punctuation filters, NLTK's word lists.
"""

from __future__ import annotations

import importlib
import string
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from sparsebolt.sparse import Analyzer
from sparsebolt.sparse.segmenters import JiebaSegmenter, MecabJapaneseSegmenter

__all__ = ["JA_SENTENCES", "ZH_SENTENCES", "chinese_analyzer", "japanese_analyzer", "nltk_has_stopwords",
           "pymilvus_config", "pymilvus_reference", "shipped_list"]

ZH_SENTENCES: tuple[str, ...] = tuple(
    """
我们在北京大学学习自然语言处理。
今天天气很好，我们去公园散步吧！
他说：“这是一个测试。”然后就走了。
结巴分词是一个非常流行的中文分词工具。
Milvus 是一个开源的向量数据库，支持稀疏向量和稠密向量。
2024年5月18日，上海的气温达到了35摄氏度。
小明硕士毕业于中国科学院计算所，后在日本京都大学深造。
工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作。
我来到北京清华大学。
他来到了网易杭研大厦。
永和服装饰品有限公司的产品质量很好。
我爱北京天安门，天安门上太阳升。
李小福是创新办主任也是云计算方面的专家。
机器学习和深度学习是人工智能的重要分支。
请问去火车站怎么走？
这家餐厅的麻婆豆腐和宫保鸡丁都很好吃。
长江是中国最长的河流，全长约6300公里。
Python 3.12 发布了许多新特性，性能提升了约5%。
用户可以通过 API 调用 BM25 函数，把文本转换成稀疏向量。
春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。
研究表明，每天步行一万步有助于身体健康。
中国人民银行宣布下调存款准备金率0.25个百分点。
我的手机号码是13800138000，有事请打电话。
这本书的作者是鲁迅，他是中国现代文学的奠基人。
在线教育平台的用户数量在疫情期间大幅增长。
他的英文名字叫 David，来自美国加利福尼亚州。
这个问题的答案并不简单，需要进一步研究。
我们需要在周五之前完成这个项目的报告。
深圳是中国改革开放的窗口城市之一。
电动汽车的续航里程越来越长，充电也越来越方便。
昨天晚上我看了一部很感人的电影。
搜索引擎的核心是倒排索引和排序算法。
乒乓球是中国的国球，很多人都喜欢打乒乓球。
《红楼梦》是中国古典四大名著之一。
北京时间今天凌晨，美联储宣布加息25个基点。
她一边听音乐，一边做作业。
医生建议他多喝水，少吃油腻的食物。
互联网的发展改变了人们的生活方式。
这个软件支持 Windows、macOS 和 Linux 三种操作系统。
我想买一台笔记本电脑，预算大概五千元左右。
黄河流经青海、四川、甘肃、宁夏、内蒙古、陕西、山西、河南和山东。
这次考试他得了满分，老师和同学们都很惊讶。
数据库的事务需要满足原子性、一致性、隔离性和持久性。
周末我们一家人去郊外野餐，玩得很开心。
杭州西湖的风景非常美丽，每年吸引大量游客。
张三和李四是大学同学，毕业后一起创业。
他每天早上六点起床，然后跑步半个小时。
云计算、大数据和物联网是当前的热门技术。
老王家的猫昨天生了三只小猫。
这道数学题太难了，我想了一个小时也没做出来。
全球变暖导致海平面上升，威胁沿海城市的安全。
他是一位经验丰富的软件工程师，擅长C++和Rust。
我们公司的年会将在十二月底举行。
熊猫是中国的国宝，主要生活在四川的山区。
地铁十号线在早高峰时非常拥挤。
她的梦想是成为一名宇航员，去太空探索。
这部手机的屏幕尺寸是6.7英寸，分辨率为2796×1290。
中华人民共和国成立于1949年10月1日。
奶奶做的饺子是世界上最好吃的。
这篇论文提出了一种新的神经网络结构。
我对这个结果感到非常满意。
孔子是中国古代伟大的思想家和教育家。
网购已经成为很多年轻人的主要购物方式。
请把门关上，外面风很大。
他们在讨论下个季度的销售计划。
秦始皇统一了六国，建立了中国历史上第一个统一的封建王朝。
这家咖啡店的拿铁味道不错，价格也合理。
量子计算机有望解决传统计算机难以处理的问题。
我的朋友从广州寄来了一盒月饼。
学习一门外语需要长期的坚持和努力。
比赛进行到第八十九分钟时，主队攻入了制胜一球。
警方提醒市民注意防范电信诈骗。
大熊猫馆今天暂停开放，请游客谅解。
她用微信给我发了一张照片。
这座桥全长1.5公里，是当地的标志性建筑。
孩子们在操场上踢足球，笑声不断。
台北101曾经是世界上最高的建筑。
這是一個繁體中文的句子，用來測試分詞效果。
香港的夜景非常漂亮，維多利亞港兩岸燈火通明。
新冠疫苗的研发速度创造了历史纪录。
我们应该保护环境，减少塑料袋的使用。
他把钥匙忘在办公室了，只好回去拿。
这个城市的房价在过去十年里翻了一倍。
高铁让城市之间的距离变得越来越近。
程序员常说：“代码写得好，bug 少不了。”
图书馆每天早上八点开门，晚上十点关门。
苹果公司发布了新一代 iPhone 和 Apple Watch。
他在比赛中获得了金牌，为国家争得了荣誉。
这条河里有很多鱼，经常有人来钓鱼。
人工智能可以帮助医生更准确地诊断疾病。
春节是中国最重要的传统节日。
我们明天早上九点在学校门口集合。
他喜欢读历史书，尤其是关于唐朝的书。
这台机器每小时可以生产三百个零件。
大家好，我叫王小明，很高兴认识你们！
文章的第三段讲的是作者童年的回忆。
世界卫生组织发布了最新的健康指南。
由于大雨，航班延误了两个小时。
这款游戏的画面非常精美，玩家评价很高。
他打算明年去英国留学，攻读计算机科学硕士。
中文分词的难点在于歧义消解和未登录词识别。
南京市长江大桥是中国第一座自行设计建造的双层铁路公路两用桥。
结婚的和尚未结婚的都请举手。
乒乓球拍卖完了。
他说的确实在理。
这是一个伸手不见五指的黑夜。
我叫孙悟空，我爱北京，我爱Python和C++。
我不喜欢日本和服。
雷猴回归人间。
工信处女干事每月经过下属科室都要亲口交代交换机等技术性器件的安装工作
我需要廉租房
永和服装饰品有限公司
我爱北京天安门
abc
隐马尔可夫
雷猴是个好网站
“，”和“SOS”在中文里是什么意思？
草泥马和欺实马是今年的流行词汇
伊藤洋华堂总府店
中国科学院计算技术研究所
罗密欧与朱丽叶
我购买了道具和服装
PS: 我觉得开源有一个好处，就是能够敦促自己不断改进，避免敞帚自珍
湖北省石首市
湖北省十堰市
总经理完成了这件事情
电脑修好了
做好了这件事情就一了百了了
人们审美的观点是不同的
我们买了一个美的空调
线程初始化时我们要注意
一个分子是由好多原子组织成的
祝你马到功成
他掉进了无底洞里
中国的首都是北京
孙君意
外交部发言人马朝旭
领导人会议和第四届东亚峰会
在过去的这五年
还需要很长的路要走
60周年首都阅兵
你好人们审美的观点是不同的
买水果然后来世博园
买水果然后去世博园
但是后来我才知道你是对的
存在即合理
的的的的的在的的的的就以和和和
I love你，不以为耻，反以为rong
因
hello你好人们审美的观点是不同的
很好但主要是基于网页形式
为什么我不能拥有想要的生活
后来我才
此次来中国是为了
使用了它就可以解决一些问题
其实使用了它就可以解决一些问题
好人使用了它就可以解决一些问题
是因为和国家
老年搜索还支持
干脆就把那部蒙人的闲法给废了拉倒！RT @laoshipukong : 27日，全国人大常委会第三次审议侵权责任法草案，
删除了有关医疗损害责任“举证倒置”的规定。
大
他说的确实在理
长春市长春节讲话
结婚的和尚未结婚的
结合成分子时
旅游和服务是最好的
这件事情的确是我的错
供大家参考指正
哈尔滨政府公布塌桥原因
我在机场入口处
邢永臣摄影报道
BP神经网络如何训练才能在分类时增加区分度？
南京市长江大桥
应一些使用者的建议，也为了便于利用NiuTrans用于SMT研究
长春市长春药店
邓颖超生前最喜欢的衣服
胡锦涛是热爱世界和平的政治局常委
程序员祝海林和朱会震是在孙健的左面和右面, 范凯在最右面.再往左是李松洪
一次性交多少钱
两块五一套，三块八一斤，四块七一本，五块六一条
小和尚留了一个像大和尚一样的和尚头
我是中华人民共和国公民;我爸爸是共和党党员; 地铁和平门站
张晓梅去人民医院做了个B超然后去买了件T恤
AT&T是一件不错的公司，给你发offer了吗？
C++和c#是什么关系？11+122=133，是吗？PI=3.14159
你认识那个和主席握手的的哥吗？他开一辆黑色的士。
枪杆子中出政权
版本1.2.3发布后，销量增长了12.5%，成本下降-3%，股价报3.14元。
全角字符ＡＢＣ和全角数字１２３，还有半角的abc和123。
C#、F#和.NET都是微软的技术，e-mail地址是foo_bar@example.com。
𠀀𠁀是扩展B区的汉字，鿖鿗鿘在结巴的汉字范围之外，〇是数字零。
龘靐齉齾爩鱻麤龗灪龖厵滟爨癵籱饢驫鲡鹂鸾麣纞虋讟钃骊郁鸜麷鞻韽韾顟顠饙騳騱饐
蔡英文和柯文哲在台北市议会讨论了垃圾分类的问题。
他买了3.5斤苹果、2.25公斤香蕉和100%纯果汁。
他笑着说：哈哈哈哈哈，一一一，谢谢谢谢，嗯嗯嗯嗯。
""".strip("\n").split("\n")
)

JA_SENTENCES: tuple[str, ...] = tuple(
    """
東京は日本の首都です。
今日はとても良い天気ですね！
私は毎朝コーヒーを飲みます。
「吾輩は猫である」は夏目漱石の小説です。
Milvusはオープンソースのベクトルデータベースです。
2024年5月18日、大阪の気温は30度に達した。
人工知能と機械学習は急速に発展している。
このラーメン屋は行列ができるほど人気がある。
彼女は来年、京都大学に入学する予定です。
新幹線で東京から名古屋まで約一時間半かかります。
すみません、駅はどこですか？
富士山は日本で一番高い山です。
昨日、友達と映画を見に行きました。
このソフトウェアはWindows、macOS、Linuxに対応しています。
日本語の形態素解析にはMeCabがよく使われる。
桜の季節になると、多くの観光客が訪れる。
彼は『ノルウェイの森』を三回読んだそうだ。
明日の会議は午後二時からです。
お寿司とてんぷらが大好きです。
プログラミング言語Pythonは読みやすい。
地震の多い国なので、防災意識が高い。
電車が遅れて、会社に遅刻してしまった。
この本は面白くて、一晩で読み終えた。
北海道の冬はとても寒いです。
子供たちが公園でサッカーをしている。
私の趣味は写真を撮ることです。
このレストランの予約は一ヶ月先まで埋まっている。
雨が降りそうなので、傘を持って行こう。
日本の人口は約一億二千万人です。
先生の説明はとても分かりやすかった。
週末は家でゆっくり過ごしたい。
スマートフォンの普及で生活が大きく変わった。
彼はギターを弾きながら歌うのが上手だ。
図書館は午前九時に開きます。
この問題を解くには、もう少し時間が必要だ。
沖縄の海は透明度が高くて美しい。
新しいプロジェクトが来月から始まる。
母が作るカレーライスは世界一おいしい。
天気予報によると、明日は晴れるらしい。
彼女は英語とフランス語を話せる。
東京タワーの高さは333メートルです。
今年の夏休みは家族で旅行に行く予定だ。
会社の近くに新しいカフェができた。
この薬は一日三回、食後に飲んでください。
ロボット工学の研究が盛んに行われている。
駅前の本屋で雑誌を買った。
検索エンジンは転置インデックスを使って文書を探す。
野球は日本で人気のあるスポーツの一つだ。
彼は毎日一万歩歩くことを目標にしている。
京都には千年以上の歴史を持つ寺がたくさんある。
猫が窓の外をじっと見つめている。
この映画の主人公はとても勇敢だった。
ええと…何を言おうとしたか忘れました。
（注）この情報は2023年時点のものです。
【速報】新しい総理大臣が選ばれました！
ＡＢＣとabcは違う文字です。
彼は「ありがとう」と言って去った。
日本の伝統文化には茶道や華道がある。
量子コンピュータは従来のコンピュータとは異なる原理で動く。
すもももももももものうち。
外国人参政権について議論する。
にわにはにわにわとりがいる。
ここではきものをぬいでください。
東京都特許許可局の局長は今日急遽休暇許可拒否。
生麦生米生卵、隣の客はよく柿食う客だ。
アイスクリームとチョコレートケーキとストロベリーパフェとバニラシェイクを注文した。
ｶﾞｲｺｸｼﾞﾝの観光客がﾎﾃﾙに泊まった。
価格は１，２８０円（税込）で、送料は無料です。
令和６年４月１日午前９時３０分に開始します。
ＧＰＵとCPUの性能差は約10倍だ。
iPhone15とPixel8を比べてみた😀
#機械学習 #自然言語処理 のタグで投稿しよう！
詳しくは https://example.com/docs を見てください。
「はい」「いいえ」で答えてください。
彼は“Hello, world!”と書いた。
ΑΒΓとАБВは日本語ではない文字です。
〇〇株式会社の第三四半期決算は黒字だった。
ＣＯ２排出量を２０３０年までに４６％削減する。
まあまあ、そんなに怒らないでよ〜。
そうですね……でも、やっぱり行きます。
　全角スペースで始まる文。
半角ｽﾍﾟｰｽ と 全角　スペースが混ざった 文字列です。
""".strip("\n").split("\n")
)


def shipped_list(name: str) -> list[str]:
    """The words of sparsebolt's shipped stopword list ``name``, in file order."""
    text = resources.files("sparsebolt.sparse.stopwords").joinpath(f"{name}.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line]


def pymilvus_config(language: str) -> dict[str, Any]:
    """``language``'s entry of pymilvus.model's lang.yaml (needs PyYAML and pymilvus.model)."""
    import pymilvus.model.sparse.bm25 as bm25

    yaml = importlib.import_module("yaml")  # optional libraries without type information, imported by name
    config: dict[str, Any] = yaml.safe_load((Path(bm25.__file__).parent / "lang.yaml").read_text(encoding="utf-8"))
    return dict(config[language])


def nltk_has_stopwords() -> bool:
    """Whether NLTK's stopword corpus is on this machine (pymilvus.model's analyzers need it)."""
    try:
        nltk = importlib.import_module("nltk")
        nltk.data.find("corpora/stopwords")
        return True
    except (ImportError, LookupError):
        return False


def pymilvus_reference(language: str) -> Callable[[str], list[str]]:
    """pymilvus.model's analyzer for ``language``, or its pipeline rebuilt (see the module docstring)."""
    if nltk_has_stopwords():
        from pymilvus.model.sparse.bm25.tokenizers import build_default_analyzer

        reference: Callable[[str], list[str]] = build_default_analyzer(language)
        return reference
    config = pymilvus_config(language)
    extras = next(f["params"].get("extras", "") for f in config["filters"] if f["class"] == "PunctuationFilter")
    punctuation = set(string.punctuation + extras)
    if language == "zh":
        jieba = importlib.import_module("jieba")
        # NLTK's Chinese list: chinese.txt holds it, then the punctuation below.
        stop = set(shipped_list("chinese")[:841])
        return lambda text: [t for t in jieba.lcut(text) if t not in stop and t not in punctuation]
    mecab = importlib.import_module("MeCab")
    chars = config["preprocessors"][0]["params"]["chars_to_replace"]
    table = str.maketrans({c: " " for c in chars})
    stop = set(shipped_list("english"))  # StopwordFilter() with no language is NLTK's English list

    def japanese(text: str) -> list[str]:
        tokens = mecab.Tagger("-Owakati").parse(text.translate(table)).split()
        return [t for t in tokens if t not in stop and t not in punctuation]

    return japanese


def chinese_analyzer() -> Analyzer:
    """sparsebolt's Chinese analyzer built by hand from its parts (native jieba, NLTK's list, case kept)."""
    return Analyzer("zh", lowercase=False, stemmer="none", stopwords=shipped_list("chinese"),
                    segmenter=JiebaSegmenter(), stopword_source="chinese")


def japanese_analyzer() -> Analyzer:
    """sparsebolt's Japanese analyzer built by hand from its parts (MeCab + unidic-lite, case kept)."""
    return Analyzer("ja", lowercase=False, stemmer="none", stopwords=shipped_list("japanese"),
                    segmenter=MecabJapaneseSegmenter(), stopword_source="japanese")
