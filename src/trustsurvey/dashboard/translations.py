"""Every text of the dashboard in Ukrainian and English.

Labels of items, communities, categories, problems and themes come from the bundle (the
questionnaire's labels); everything else a person reads is here.

>>> t("nav.overview", "en"), t("nav.overview", "uk")
('Overview', 'Огляд')
"""

from __future__ import annotations

LANGS: tuple[str, ...] = ("uk", "en")

TEXTS: dict[str, dict[str, str]] = {
    "app.subtitle": {
        "uk": "Результати опитування: лише узагальнені дані",
        "en": "Survey results: aggregates only",
    },
    "lang.label": {"uk": "Мова", "en": "Language"},
    "nav.overview": {"uk": "Огляд", "en": "Overview"},
    "nav.indicators": {"uk": "Показники", "en": "Indicators"},
    "nav.communities": {"uk": "Громади", "en": "Communities"},
    "nav.problems": {"uk": "Проблеми безпеки", "en": "Security problems"},
    "nav.focus_groups": {"uk": "Фокус-групи", "en": "Focus groups"},
    "nav.methodology": {"uk": "Методологія", "en": "Methodology"},
    "nav.programme": {"uk": "Програма", "en": "Programme"},
    "programme.title": {
        "uk": "Моніторинг програми: заходи, гаряча лінія, навчання",
        "en": "Programme monitoring: activities, hotline, trainings",
    },
    "programme.note": {
        "uk": "Узагальнені записи програми; нотатки та дані заявників не публікуються.",
        "en": "Aggregated programme records; notes and callers' details are never published.",
    },
    # the event study of a staggered roll-out (dashboard/event_study.py)
    "nav.event_study": {"uk": "Ефект у часі", "en": "Effect over time"},
    "es.title": {
        "uk": "Ефект програми залежно від часу після її запровадження",
        "en": "The programme's effect by time since it began",
    },
    "es.intro": {
        "uk": "Громади приєднувалися до програми в різних хвилях. Кожну громаду порівнюємо з "
        "громадами, які ще не приєдналися (метод Каллавей і Сант'Анни, 2021).",
        "en": "Communities joined the programme in different waves. Each is compared with the "
        "communities that had not joined yet (Callaway & Sant'Anna 2021).",
    },
    "es.up": {
        "uk": "Після запровадження програми показник «{outcome}» зріс більше, ніж у громадах, "
        "які ще не приєдналися: на {size} в середньому ({ci}).",
        "en": "Once the programme began, “{outcome}” rose more than in the communities not yet "
        "in it: by {size} on average ({ci}).",
    },
    "es.down": {
        "uk": "Після запровадження програми показник «{outcome}» зріс менше, ніж у громадах, "
        "які ще не приєдналися: на {size} в середньому ({ci}).",
        "en": "Once the programme began, “{outcome}” rose less than in the communities not yet "
        "in it: by {size} on average ({ci}).",
    },
    "es.ns": {
        "uk": "Зміну показника «{outcome}» після запровадження програми порівняно з громадами, "
        "які ще не приєдналися, статистично не підтверджено: {size} в середньому ({ci}).",
        "en": "A change in “{outcome}” once the programme began, compared with the communities "
        "not yet in it, is not statistically confirmed: {size} on average ({ci}).",
    },
    "es.pre_ok": {
        "uk": "До запровадження громади, що згодом приєдналися, змінювалися так само, як інші: "
        "одночасна 95% смуга містить нуль для кожної попередньої хвилі ({times}).",
        "en": "Before the programme, the communities that later joined moved like the others: "
        "the simultaneous 95% band contains zero in every earlier wave ({times}).",
    },
    "es.pre_bad": {
        "uk": "Ще до запровадження громади, що згодом приєдналися, відрізнялися від інших "
        "({times}): ефект вище може частково відображати попередні тенденції.",
        "en": "Before the programme, the communities that later joined already differed from "
        "the others ({times}): the effect above may partly reflect earlier trends.",
    },
    "es.pre_none": {
        "uk": "Жодної хвилі до запровадження програми порівняти не можна: припущення про "
        "паралельні тенденції перевірити неможливо.",
        "en": "No wave before the programme can be compared: the parallel-trends assumption "
        "cannot be checked.",
    },
    "es.post_sig": {
        "uk": "Після запровадження ефект підтверджено (одночасна смуга не містить нуля): {times}.",
        "en": "Since the programme began, the effect is confirmed (the simultaneous band "
        "excludes zero): {times}.",
    },
    "es.post_ns": {
        "uk": "Після запровадження одночасна смуга містить нуль у кожній хвилі: ефект у "
        "жодній окремій хвилі не підтверджено.",
        "en": "Since the programme began, the simultaneous band contains zero in every wave: "
        "the effect is not confirmed at any single time.",
    },
    "es.pre_badge_ok": {"uk": "Тенденції до програми збігалися", "en": "Trends alike before"},
    "es.pre_badge_bad": {
        "uk": "Тенденції до програми відрізнялися",
        "en": "Trends differed before",
    },
    "es.times": {"uk": "хвилі {k}", "en": "waves {k}"},
    "es.time": {"uk": "хвиля {k}", "en": "wave {k}"},
    "es.axis_x": {
        "uk": "Хвиль від запровадження (0 — перша хвиля з програмою)",
        "en": "Waves since the programme began (0 = its first wave)",
    },
    "es.before": {"uk": "До запровадження", "en": "Before the programme"},
    "es.after": {"uk": "Після запровадження", "en": "Since the programme began"},
    "es.band": {"uk": "Одночасна 95% смуга", "en": "Simultaneous 95% band"},
    "es.note": {
        "uk": "Порожні кола — хвилі до запровадження (перевірка паралельних тенденцій), "
        "заповнені — після. Вуса — 95% ДІ кожної оцінки; смуга охоплює всі хвилі разом з "
        "імовірністю 95%.",
        "en": "Hollow circles are waves before the programme (the parallel-trends check), "
        "filled ones since. Whiskers are each estimate's 95% CI; the band covers all waves "
        "together with 95% probability.",
    },
    "es.effect": {"uk": "Ефект", "en": "Effect"},
    "es.overall": {"uk": "Загальний", "en": "Overall"},
    "es.event": {"uk": "Хвиль від запровадження: {k}", "en": "Waves since it began: {k}"},
    "es.cohort": {"uk": "Громади, що приєдналися: {wave}", "en": "Communities joining: {wave}"},
    "col.band_low": {"uk": "Нижня межа смуги", "en": "Band low"},
    "col.band_high": {"uk": "Верхня межа смуги", "en": "Band high"},
    "ctl.view": {"uk": "Розріз", "en": "View"},
    "prog.timeline": {
        "uk": "Заходи за місяцями (хвилі опитування позначено)",
        "en": "Activities by month (survey waves marked)",
    },
    "prog.hotline": {
        "uk": "Звернення на гарячу лінію за категоріями",
        "en": "Hotline appeals by category over time",
    },
    "prog.appeals": {
        "uk": "Звернення за громадами та категоріями",
        "en": "Appeals by community and category",
    },
    "prog.resolution": {"uk": "Час розгляду звернень", "en": "Time to resolve appeals"},
    "prog.training": {"uk": "Навчання: зміна знань", "en": "Trainings: change in test scores"},
    "prog.dose": {
        "uk": "Інтенсивність програми і зміна довіри",
        "en": "Programme intensity and change in trust",
    },
    "prog.fit": {"uk": "Метарегресія", "en": "Meta-regression"},
    "prog.observational": {
        "uk": "Спостережний зв'язок, а не причинний ефект",
        "en": "Observational association, not a causal effect",
    },
    "col.month": {"uk": "Місяць", "en": "Month"},
    "col.activities": {"uk": "Заходів", "en": "Activities"},
    "col.participants": {"uk": "Учасників", "en": "Participants"},
    "col.appeals": {"uk": "Звернень", "en": "Appeals"},
    "col.appeal": {"uk": "Категорія звернення", "en": "Appeal category"},
    "col.per_1000": {"uk": "На 1000 мешканців", "en": "Per 1,000 residents"},
    "col.period": {"uk": "Період", "en": "Period"},
    "col.type": {"uk": "Вид навчання", "en": "Training type"},
    "col.share_resolved": {"uk": "Частка розглянутих", "en": "Share resolved"},
    "col.median_days": {"uk": "Медіана днів до розгляду", "en": "Median days to resolution"},
    "col.p90_days": {"uk": "90-й перцентиль днів", "en": "90th percentile of days"},
    "col.mean_change": {"uk": "Середня зміна балу", "en": "Mean change in score"},
    "col.hedges_g": {"uk": "Розмір ефекту (g Хеджеса)", "en": "Effect size (Hedges' g)"},
    "col.share_improved": {"uk": "Частка з покращенням", "en": "Share improved"},
    "col.activities_per_1000": {
        "uk": "Заходів на 1000 мешканців",
        "en": "Activities per 1,000 residents",
    },
    "col.change": {"uk": "Зміна довіри між хвилями", "en": "Change in trust between waves"},
    "nav.label": {"uk": "Розділи", "en": "Pages"},
    "overview.title": {
        "uk": "Довіра за громадами та групами впродовж хвиль",
        "en": "Trust by community and arm over waves",
    },
    "overview.did": {
        "uk": "Різниця різниць (пілотні мінус контрольні громади)",
        "en": "Difference-in-differences (pilot minus control)",
    },
    "overview.did_missing": {
        "uk": "Результати різниці різниць ще не опубліковано.",
        "en": "Difference-in-differences results are not published yet.",
    },
    "overview.ci": {"uk": "95% довірчий інтервал", "en": "95% confidence interval"},
    "indicators.title": {
        "uk": "Розподіл відповідей (включно з «важко відповісти»)",
        "en": "Distribution of answers (including 'difficult to answer')",
    },
    "groups.title": {
        "uk": "Оцінки за групами населення",
        "en": "Estimates by population group",
    },
    "groups.jump": {
        "uk": "↓ Оцінки за групами населення: {groups}",
        "en": "↓ Estimates by population group: {groups}",
    },
    "groups.by_arm": {
        "uk": "Усі громади: пілотні та контрольні",
        "en": "All communities: pilot and control",
    },
    "ctl.subgroup": {"uk": "Групування", "en": "Breakdown"},
    "col.subgroup": {"uk": "Група населення", "en": "Population group"},
    "label.unreliable_bars": {
        "uk": "Заштриховані стовпці: ненадійні оцінки.",
        "en": "Hatched bars: unreliable estimates.",
    },
    "communities.title": {"uk": "Громади поруч", "en": "Communities side by side"},
    "problems.title": {
        "uk": "Проблеми безпеки, які називають мешканці",
        "en": "Local security problems named by residents",
    },
    "focus.title": {"uk": "Теми фокус-груп за групами", "en": "Focus-group themes by arm"},
    "method.title": {"uk": "Як отримано ці дані", "en": "How these figures were made"},
    "method.sample": {"uk": "Розмір вибірки", "en": "Sample sizes"},
    "method.weighting": {"uk": "Зважування", "en": "Weighting"},
    "method.moe": {"uk": "Похибка вибірки", "en": "Margins of error"},
    "method.quality": {"uk": "Якість даних", "en": "Data quality"},
    "method.suppression": {"uk": "Що приховано і чому", "en": "What was suppressed and why"},
    "method.policy": {
        "uk": (
            "Клітинки, де менше ніж {min_cell} респондентів, приховано; також приховано "
            "додаткові клітинки, з яких їх можна було б обчислити. Оцінки з коефіцієнтом "
            "варіації понад {max_cv} позначено як ненадійні."
        ),
        "en": (
            "Cells with fewer than {min_cell} respondents are suppressed, together with the "
            "cells from which they could be recomputed. Estimates with a coefficient of "
            "variation above {max_cv} are flagged as unreliable."
        ),
    },
    "method.policy_nchs": {
        "uk": (
            "Клітинки, де менше ніж {min_cell} респондентів, приховано; також приховано "
            "додаткові клітинки, з яких їх можна було б обчислити. Частки (так/ні) оцінено за "
            "стандартом NCHS (Parker et al. 2017): частку приховано, якщо ефективний розмір "
            "вибірки менший за 30 або інтервал Корна-Грауберда надто широкий, і позначено як "
            "ненадійну, якщо стандарт відсилає її на перевірку. Середні з коефіцієнтом "
            "варіації понад {max_cv} позначено як ненадійні."
        ),
        "en": (
            "Cells with fewer than {min_cell} respondents are suppressed, together with the "
            "cells from which they could be recomputed. Shares (yes/no) are judged by the "
            "NCHS standard (Parker et al. 2017): a share is suppressed when its effective "
            "sample size is below 30 or its Korn-Graubard interval is too wide, and flagged "
            "as unreliable when the standard sends it to review. Means with a coefficient of "
            "variation above {max_cv} are flagged as unreliable."
        ),
    },
    "method.audit": {
        "uk": "Приховані клітинки: {small} малих, {comp} додаткових.",
        "en": "Suppressed cells: {small} small, {comp} complementary.",
    },
    "method.moe_note": {
        "uk": "Половина ширини 95% довірчого інтервалу для всіх опублікованих оцінок.",
        "en": "Half the width of the 95% confidence interval of the published estimates.",
    },
    "ctl.outcome": {"uk": "Показник", "en": "Outcome"},
    "ctl.groups": {"uk": "Громади та групи", "en": "Communities and arms"},
    "ctl.community": {"uk": "Громада", "en": "Community"},
    "ctl.wave": {"uk": "Хвиля", "en": "Wave"},
    "ctl.all_waves": {"uk": "Усі хвилі", "en": "All waves"},
    "dl.csv": {"uk": "Завантажити CSV", "en": "Download CSV"},
    "dl.xlsx": {"uk": "Завантажити XLSX", "en": "Download XLSX"},
    "dl.note": {
        "uk": "Завантаження містить саме ті узагальнені дані, що показано.",
        "en": "Downloads hold exactly the aggregates shown.",
    },
    "col.outcome": {"uk": "Показник", "en": "Outcome"},
    "col.community": {"uk": "Громада", "en": "Community"},
    "col.group": {"uk": "Громада або група", "en": "Community or arm"},
    "col.arm": {"uk": "Група", "en": "Arm"},
    "col.wave": {"uk": "Хвиля", "en": "Wave"},
    "col.estimate": {"uk": "Оцінка", "en": "Estimate"},
    "col.ci_low": {"uk": "Нижня межа 95% ДІ", "en": "95% CI low"},
    "col.ci_high": {"uk": "Верхня межа 95% ДІ", "en": "95% CI high"},
    "col.n": {"uk": "Респондентів (n)", "en": "Respondents (n)"},
    "col.status": {"uk": "Примітка", "en": "Note"},
    "col.category": {"uk": "Відповідь", "en": "Answer"},
    "col.share": {"uk": "Частка", "en": "Share"},
    "col.problem": {"uk": "Проблема", "en": "Problem"},
    "col.rank": {"uk": "Місце", "en": "Rank"},
    "col.theme": {"uk": "Тема", "en": "Theme"},
    "col.n_groups": {"uk": "Фокус-груп", "en": "Focus groups"},
    "col.n_mentions": {"uk": "Згадувань", "en": "Mentions"},
    "col.statistic": {"uk": "Показник", "en": "Statistic"},
    "col.value": {"uk": "Значення", "en": "Value"},
    "col.check": {"uk": "Перевірка", "en": "Check"},
    "col.n_flagged": {"uk": "Позначено анкет", "en": "Interviews flagged"},
    "col.moe": {"uk": "Похибка (±)", "en": "Margin of error (±)"},
    "col.table": {"uk": "Таблиця", "en": "Table"},
    "col.small": {"uk": "Малі клітинки", "en": "Small cells"},
    "col.complementary": {"uk": "Додаткові", "en": "Complementary"},
    "col.n_withheld": {"uk": "n не показано", "en": "n withheld"},
    "col.contrast": {"uk": "Порівняння", "en": "Contrast"},
    "status.small_cell": {
        "uk": "приховано: менше ніж {min_cell} респондентів",
        "en": "suppressed: fewer than {min_cell} respondents",
    },
    "status.small_records": {
        "uk": "приховано: менше ніж {min_cell} звернень",
        "en": "suppressed: fewer than {min_cell} appeals",
    },
    "status.dose_small": {
        "uk": "зміну не показано: менше ніж {min_cell} респондентів у хвилі; поза моделлю",
        "en": "no change shown: fewer than {min_cell} respondents in a wave; not in the fit",
    },
    "status.complementary": {
        "uk": "приховано: захищає іншу приховану клітинку",
        "en": "suppressed: protects another suppressed cell",
    },
    "status.previous_release": {
        "uk": "приховано: було приховано в попередньому випуску",
        "en": "suppressed: hidden in the previous release",
    },
    "status.n_withheld": {
        "uk": "n не показано: з нього можна було б відновити приховану клітинку",
        "en": "n withheld: it would reveal a suppressed cell",
    },
    "status.unreliable": {
        "uk": "ненадійна оцінка (коефіцієнт варіації > {max_cv})",
        "en": "unreliable estimate (coefficient of variation > {max_cv})",
    },
    "status.unreliable_nchs": {
        "uk": "ненадійна оцінка (коефіцієнт варіації > {max_cv} або частка, яку стандарт NCHS "
        "відсилає на перевірку)",
        "en": "unreliable estimate (coefficient of variation > {max_cv}, or a proportion the "
        "NCHS standard sends to review)",
    },
    "status.unreliable_hidden": {
        "uk": "приховано: ненадійна частка за стандартом NCHS (замалий ефективний розмір "
        "вибірки або заширокий інтервал)",
        "en": "suppressed: unreliable proportion by the NCHS standard (effective sample size "
        "too small or interval too wide)",
    },
    "status.ok": {"uk": "", "en": ""},
    "col.model_estimate": {
        "uk": "Модельна оцінка (малі території)",
        "en": "Model-based estimate (small-area)",
    },
    "col.model_ci_low": {
        "uk": "Нижня межа модельного 95% ДІ",
        "en": "Model-based 95% CI low",
    },
    "col.model_ci_high": {
        "uk": "Верхня межа модельного 95% ДІ",
        "en": "Model-based 95% CI high",
    },
    "label.model_based": {
        "uk": "Модельна оцінка (малі території)",
        "en": "Model-based estimate (small-area)",
    },
    "label.model_note": {
        "uk": "Ромби: модельні оцінки для громад, чия пряма оцінка ненадійна або прихована "
        "(модель Фея–Герріота за показниками громад; не пряме вимірювання).",
        "en": "Diamonds: model-based estimates for communities whose direct estimate is "
        "unreliable or suppressed (Fay-Herriot model on community indicators; not a direct "
        "measurement).",
    },
    "label.all_communities": {"uk": "Усі громади", "en": "All communities"},
    "label.all": {"uk": "Усі", "en": "All"},
    "label.no_data": {
        "uk": "Цієї таблиці немає в опублікованих результатах.",
        "en": "This table is not in the published results.",
    },
    "label.suppressed_note": {
        "uk": "Приховані клітинки не показано на графіку; див. таблицю.",
        "en": "Suppressed cells are left out of the chart; see the table.",
    },
    "label.unreliable_note": {
        "uk": "Порожні маркери: ненадійні оцінки.",
        "en": "Hollow markers: unreliable estimates.",
    },
    "label.not_found": {"uk": "Сторінку не знайдено.", "en": "Page not found."},
    "label.created": {"uk": "Створено", "en": "Created"},
    # --- names of statistics, tables and comparisons shown in tables ---
    "stat.deff_kish": {
        "uk": "Ефект дизайну через зважування (Кіш)",
        "en": "Design effect of weighting (Kish)",
    },
    "stat.n_eff": {"uk": "Ефективний розмір вибірки", "en": "Effective sample size"},
    "stat.cv": {"uk": "Коефіцієнт варіації ваг", "en": "Coefficient of variation of weights"},
    "stat.ratio": {
        "uk": "Відношення найбільшої ваги до найменшої",
        "en": "Ratio of largest to smallest weight",
    },
    "table.estimates": {"uk": "Оцінки показників", "en": "Outcome estimates"},
    "table.likert": {"uk": "Розподіли відповідей", "en": "Answer distributions"},
    "table.did": {"uk": "Різниця різниць", "en": "Difference-in-differences"},
    "table.problems": {"uk": "Проблеми безпеки", "en": "Security problems"},
    "table.focus_groups": {"uk": "Фокус-групи", "en": "Focus groups"},
    "table.sample_sizes": {"uk": "Розміри вибірки", "en": "Sample sizes"},
    "table.weighting": {"uk": "Зважування", "en": "Weighting"},
    "table.quality": {"uk": "Якість даних", "en": "Data quality"},
    "table.appeals": {"uk": "Звернення на гарячу лінію", "en": "Hotline appeals"},
    "table.appeals_monthly": {"uk": "Звернення за місяцями", "en": "Appeals by month"},
    "table.resolution": {"uk": "Розгляд звернень", "en": "Resolution of appeals"},
    "table.training": {"uk": "Навчання", "en": "Trainings"},
    "table.programme_activities": {"uk": "Заходи програми", "en": "Programme activities"},
    "table.programme_timeline": {"uk": "Заходи за місяцями", "en": "Activities by month"},
    "table.programme_intensity": {"uk": "Інтенсивність програми", "en": "Programme intensity"},
    "table.dose_response": {"uk": "Інтенсивність і зміна довіри", "en": "Intensity and change"},
    "table.dose_fit": {"uk": "Метарегресія", "en": "Meta-regression"},
    "table.nonresponse_bounds": {
        "uk": "Межі з урахуванням тих, хто не відповів",
        "en": "Bounds allowing for non-answerers",
    },
    "comparison.post-pre": {
        "uk": "Одразу після навчання проти до нього",
        "en": "Right after the training vs before",
    },
    "comparison.followup-pre": {
        "uk": "Через кілька місяців проти до навчання",
        "en": "Months later vs before the training",
    },
    "col.unit": {"uk": "Одиниця", "en": "Unit"},
    "label.unreliable": {"uk": "Ненадійна оцінка", "en": "Unreliable estimate"},
    "unit.points_short": {"uk": "бала", "en": "points"},
    "unit.pp_short": {"uk": "відсоткового пункту", "en": "percentage points"},
    # --- the texts inside a dropdown ({num_selected} is filled in by the dropdown) ---
    "dd.select_all": {"uk": "Вибрати все", "en": "Select all"},
    "dd.deselect_all": {"uk": "Зняти вибір з усього", "en": "Deselect all"},
    "dd.selected_count": {"uk": "Вибрано: {num_selected}", "en": "{num_selected} selected"},
    "dd.search": {"uk": "Пошук", "en": "Search"},
    "dd.clear_search": {"uk": "Очистити пошук", "en": "Clear search"},
    "dd.clear_selection": {"uk": "Очистити вибір", "en": "Clear selection"},
    "dd.no_options_found": {"uk": "Нічого не знайдено", "en": "No options found"},
    # --- methodology in prose ---
    "method.about": {"uk": "Як проведено опитування", "en": "How the survey was done"},
    "method.p_design": {
        "uk": "Кількість громад в опитуванні: {n_com} ({arms}). {waves}",
        "en": "The survey covered {n_com} communities ({arms}). {waves}",
    },
    "method.wave": {
        "uk": "Хвиля «{wave}»: польовий етап з {start} до {end}, кількість респондентів: {n}.",
        "en": "Wave “{wave}”: fieldwork from {start} to {end}, {n} respondents interviewed.",
    },
    "method.p_response": {
        "uk": "Рівень відповіді (частка тих, хто погодився на інтерв'ю): {rates}.",
        "en": "Response rate (the share of those asked who were interviewed): {rates}.",
    },
    "method.p_no_response": {
        "uk": "Рівень відповіді в опублікованих результатах не наведено.",
        "en": "The response rate is not given in the published results.",
    },
    "method.p_weighting": {
        "uk": "Відповіді зважено так, щоб склад вибірки відповідав відомому складу населення. "
        "Зважування трохи знижує точність: ефект дизайну через зважування у хвилі «{wave}» "
        "становить {deff}, тобто вибірка дає стільки ж інформації, скільки проста випадкова "
        "вибірка обсягом {n_eff} (ефективний розмір вибірки).",
        "en": "Answers are weighted so that the sample matches the known make-up of the "
        "population. Weighting costs some precision: the design effect of weighting in wave "
        "“{wave}” is {deff}, so the sample carries as much information as a simple random "
        "sample of {n_eff} people (the effective sample size).",
    },
    "method.p_weighting_plain": {
        "uk": "Відповіді зважено так, щоб склад вибірки відповідав відомому складу населення.",
        "en": "Answers are weighted so that the sample matches the known make-up of the "
        "population.",
    },
    "method.p_moe": {
        "uk": "Похибка вибірки («±») — половина ширини 95% довірчого інтервалу: якби "
        "опитування повторювали багато разів, у 95 випадках зі 100 інтервал «оцінка ± "
        "похибка» містив би справжнє значення. Наприклад, для показника «{outcome}» у хвилі "
        "«{wave}» (усі громади) похибка становить ±{moe} {unit}. Похибку для кожного "
        "показника, групи громад і хвилі наведено в таблиці нижче.",
        "en": "The margin of error (“±”) is half the width of the 95% confidence interval: if "
        "the survey were repeated many times, the interval “estimate ± margin” would contain "
        "the true value 95 times in 100. For example, for “{outcome}” in wave “{wave}” (all "
        "communities) it is ±{moe} {unit}. The table below gives it for every outcome, arm "
        "and wave.",
    },
    "method.p_small_area": {
        "uk": "Для громад, чия пряма оцінка ненадійна або прихована, сторінка «Громади» показує "
        "модельну оцінку для малих територій (модель Фея–Герріота): вона поєднує пряму оцінку "
        "громади з прогнозом за показниками громад (населення, звернення до поліції тощо), "
        "тим більше покладаючись на прогноз, чим менш точна пряма оцінка. Це оцінка моделі, а "
        "не пряме вимірювання; її інтервал спирається на припущення моделі. Для громади з "
        "прихованою прямою оцінкою показано лише прогноз моделі, побудованої без її "
        "респондентів.",
        "en": "For communities whose direct estimate is unreliable or suppressed, the "
        "Communities page shows a model-based small-area estimate (Fay-Herriot model): it "
        "combines the community's direct estimate with a prediction from community indicators "
        "(population, calls to police and so on), leaning on the prediction the less precise "
        "the direct estimate is. It is a model estimate, not a direct measurement; its interval "
        "rests on the model's assumptions. A community whose direct estimate is suppressed gets "
        "only the prediction of a model fitted without its respondents.",
    },
    "method.p_unreliable": {
        "uk": "Ненадійні оцінки на графіках заштриховано або показано порожніми маркерами; "
        "приховані клітинки на графіках не показано, а в таблицях пояснено, чому.",
        "en": "Unreliable estimates are hatched or drawn as hollow markers in the charts; "
        "suppressed cells are left out of the charts, and the tables say why.",
    },
    # --- findings in words: the sentence templates of the headline of each outcome ---
    "summary.community_vs_all": {
        "uk": "{community} і всі громади, з 95% довірчими інтервалами",
        "en": "{community} and all communities, with 95% confidence intervals",
    },
    "summary.community_problems": {
        "uk": "Проблеми безпеки, які називають мешканці громади",
        "en": "Local security problems named in the community",
    },
    "summary.not_published": {
        "uk": "Не опубліковано: замало респондентів у громаді.",
        "en": "Not published: too few respondents in the community.",
    },
    "summary.community_note": {
        "uk": "Сторінка громади. Висновки щодо програми стосуються всіх пілотних і контрольних "
        "громад разом (див. підсумок дослідження).",
        "en": "A community's page. Findings about the programme concern all pilot and control "
        "communities together (see the study summary).",
    },
    "findings.title": {"uk": "Головні висновки", "en": "Key findings"},
    "finding.up": {
        "uk": "У пілотних громадах показник «{outcome}» зріс більше, ніж у контрольних: "
        "на {size} ({ci}{p}).",
        "en": "In pilot communities, “{outcome}” rose more than in control communities: "
        "by {size} ({ci}{p}).",
    },
    "finding.down": {
        "uk": "У пілотних громадах показник «{outcome}» зріс менше, ніж у контрольних: "
        "на {size} ({ci}{p}).",
        "en": "In pilot communities, “{outcome}” rose less than in control communities: "
        "by {size} ({ci}{p}).",
    },
    "finding.ns": {
        "uk": "Різниця між пілотними та контрольними громадами за показником «{outcome}» "
        "статистично не підтверджена: {size} ({ci}{p}).",
        "en": "A difference between pilot and control communities in “{outcome}” is not "
        "statistically confirmed: {size} ({ci}{p}).",
    },
    "finding.staggered.up": {
        "uk": "Після запровадження програми показник «{outcome}» у громадах, що до неї "
        "приєдналися, зріс більше, ніж у громадах, які ще не приєдналися: на {size} ({ci}{p}).",
        "en": "After joining the programme, “{outcome}” rose more in the communities that "
        "joined than in those not yet taking part: by {size} ({ci}{p}).",
    },
    "finding.staggered.down": {
        "uk": "Після запровадження програми показник «{outcome}» у громадах, що до неї "
        "приєдналися, зріс менше, ніж у громадах, які ще не приєдналися: на {size} ({ci}{p}).",
        "en": "After joining the programme, “{outcome}” rose less in the communities that "
        "joined than in those not yet taking part: by {size} ({ci}{p}).",
    },
    "finding.staggered.ns": {
        "uk": "Вплив програми на показник «{outcome}» у громадах, що до неї приєдналися, "
        "статистично не підтверджено: {size} ({ci}{p}).",
        "en": "An effect of the programme on “{outcome}” in the communities that joined it "
        "is not statistically confirmed: {size} ({ci}{p}).",
    },
    "finding.suppressed": {
        "uk": "Результат за показником «{outcome}» не опубліковано: {status}.",
        "en": "The result for “{outcome}” is not published: {status}.",
    },
    "finding.sig": {"uk": "Статистично значуще", "en": "Statistically significant"},
    "finding.not_sig": {"uk": "Не підтверджено", "en": "Not confirmed"},
    "unit.points": {
        "uk": "{x} бала за шкалою {lo}–{hi}",
        "en": "{x} points on the {lo}–{hi} scale",
    },
    "unit.points_plain": {"uk": "{x} бала", "en": "{x} points"},
    "unit.pp": {"uk": "{x} відсоткового пункту", "en": "{x} percentage points"},
    "unit.ci": {"uk": "95% ДІ: від {lo} до {hi}", "en": "95% CI {lo} to {hi}"},
    "unit.p_holm": {
        "uk": "; p з поправкою Голма на {k} показників {p}",
        "en": "; Holm-adjusted p over {k} outcomes {p}",
    },
    "axis.score": {"uk": "Середній бал ({lo}–{hi})", "en": "Mean score ({lo}–{hi})"},
    "axis.percent": {"uk": "Частка, %", "en": "Share, %"},
    # --- "difficult to answer": worst-case bounds in words ---
    "bounds.title": {
        "uk": "Якби ті, хто не відповів, думали інакше",
        "en": "If those who did not answer think otherwise",
    },
    "bounds.sentence": {
        "uk": "Показник «{outcome}» лежить між {lo} і {hi}, хоч би що думали ті, хто не "
        "відповів ({wave}: {share}% відповіли «важко відповісти», відмовилися або не "
        "відповіли; серед тих, хто відповів, — {est}{scale}).",
        "en": "“{outcome}” lies between {lo} and {hi} whatever the non-answerers think "
        "({wave}: {share}% said “difficult to answer”, refused or gave no answer; among "
        "those who answered, {est}{scale}).",
    },
    "bounds.scale": {"uk": " за шкалою {lo}–{hi}", "en": " on the {lo}–{hi} scale"},
    "bounds.note": {
        "uk": "Межі — найменше й найбільше можливе значення, якби всі, хто не відповів, "
        "обрали найнижчу чи найвищу відповідь шкали (межі Манскі); це не довірчий інтервал.",
        "en": "The bounds are the lowest and highest possible value if everyone who did not "
        "answer had chosen the lowest or the highest answer on the scale (Manski bounds); "
        "they are not a confidence interval.",
    },
    "unit.percent": {"uk": "{x}\u00a0%", "en": "{x}%"},  # uk: a space before %
    "axis.value": {"uk": "Середнє значення", "en": "Mean value"},
    "findings.note": {
        "uk": "«Статистично значуще»: 95% довірчий інтервал не включає нуль, а p-значення з "
        "поправкою Голма на кількість перевірених показників менше 0,05. Різниця різниць: "
        "зміна в пілотних громадах мінус зміна в контрольних між першою та останньою хвилями.",
        "en": "“Statistically significant”: the 95% confidence interval excludes zero and the "
        "p-value, Holm-adjusted for the number of outcomes tested, is below 0.05. "
        "Difference-in-differences: the change in pilot communities minus the change in "
        "control communities between the first and the last wave.",
    },
}


def t(key: str, lang: str = "uk", **values: object) -> str:
    """The text ``key`` in ``lang`` ("uk" or "en"), formatted with ``values``."""
    entry = TEXTS[key]
    text = entry.get(lang) or entry["uk"]
    return text.format(**values) if values else text


def policy_key(policy: object) -> str:
    """The key of the methodology sentence on suppression and reliability for ``policy``
    (a :class:`~trustsurvey.publish.policy.DisclosurePolicy`)."""
    nchs = getattr(policy, "reliability_rule", "cv") == "nchs"
    return "method.policy_nchs" if nchs else "method.policy"


def named(prefix: str, name: object, lang: str = "uk") -> str:
    """The translation of ``<prefix>.<name>``, or the name in words (``a_b`` -> "A b") when
    there is none, so no identifier is shown as it is.

    >>> named("stat", "n_eff", "en"), named("stat", "new_stat", "en")
    ('Effective sample size', 'New stat')
    """
    key = f"{prefix}.{name}"
    if key in TEXTS:
        return t(key, lang)
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def missing_translations() -> list[tuple[str, str]]:
    """``(key, lang)`` pairs without a text (``status.ok`` is intentionally empty)."""
    return [
        (key, lang)
        for key, entry in TEXTS.items()
        for lang in LANGS
        if key != "status.ok" and not entry.get(lang)
    ]
